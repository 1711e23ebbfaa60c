"""The catalogue of matters a demo city reports: how often, in which season, how they read.

Pure data, used by ``zhili.demo.casemix`` to draw a year of cases and by the stories to
decide what happens to them (consultations answered on the line, small matters settled by
the community, complex ones that take a whistle, what a gridder fixes on the spot).
"""

from __future__ import annotations

from dataclasses import dataclass

# -- seasons: a factor per month (January first) ---------------------------------------

SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    "summer": (0.6, 0.6, 0.7, 0.8, 1.0, 1.3, 1.7, 1.7, 1.3, 0.9, 0.7, 0.6),
    "winter": (2.4, 2.0, 1.0, 0.3, 0.08, 0.05, 0.05, 0.05, 0.08, 0.4, 1.4, 2.2),
    "rain": (0.5, 0.5, 0.7, 1.0, 1.5, 1.9, 1.8, 1.5, 1.0, 0.7, 0.5, 0.5),
    "wages": (2.4, 1.6, 0.8, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2, 2.0),
    "school": (0.6, 0.8, 1.0, 0.8, 1.0, 1.8, 2.6, 2.6, 1.4, 0.6, 0.5, 0.5),
    "tourism": (1.2, 1.3, 0.8, 1.0, 1.4, 0.9, 1.6, 1.7, 0.9, 1.9, 0.8, 0.7),
    "dry": (1.4, 1.3, 1.2, 1.1, 0.9, 0.8, 0.7, 0.7, 0.9, 1.1, 1.2, 1.4),
    "building": (0.5, 0.5, 1.0, 1.2, 1.2, 1.1, 1.0, 1.0, 1.2, 1.2, 1.1, 0.8),
}


@dataclass(frozen=True, slots=True)
class Kind:
    """How often a category comes up and how it reads."""

    weight: float  # relative share of a year's cases
    season: str
    titles: tuple[str, ...]
    detail: str  # what the caller says, after the place


# Leaf categories of the shipped catalogue. Categories an administrator adds later get
# DEFAULT_KIND; weights are "cases per 1 000" in a mid-sized Chinese city.
KINDS: dict[str, Kind] = {
    # 部件 components
    "C0101": Kind(
        6, "rain", ("上水井盖缺失", "井盖松动异响"), "井盖缺失或松动，行人车辆经过有危险"
    ),
    "C0102": Kind(8, "rain", ("污水井盖破损", "污水井冒溢"), "污水井盖破损，污水外溢有异味"),
    "C0103": Kind(4, "summer", ("电力箱门敞开", "电线杆倾斜"), "电力设施损坏，存在安全隐患"),
    "C0104": Kind(2, "winter", ("燃气管道锈蚀", "燃气阀门箱破损"), "燃气设施破损，担心漏气"),
    "C0105": Kind(1, "winter", ("供暖管道漏水",), "供暖管道渗漏，地面结冰"),
    "C0106": Kind(3, "dry", ("消防栓损坏", "消防栓被圈占"), "消防栓损坏或被占用，无法正常使用"),
    "C0201": Kind(20, "winter", ("路灯不亮", "路灯白天常亮"), "路灯损坏，夜间道路漆黑"),
    "C0202": Kind(5, "flat", ("信号灯故障",), "交通信号灯不亮，路口车辆混乱"),
    "C0203": Kind(4, "flat", ("交通标志牌倒伏",), "交通标志牌损坏倒伏"),
    "C0204": Kind(5, "flat", ("道路护栏损坏",), "护栏被撞坏，断口锋利"),
    "C0205": Kind(15, "rain", ("路面坑洼", "人行道砖松动"), "路面破损坑洼，雨天积水，车辆颠簸"),
    "C0301": Kind(15, "summer", ("垃圾箱破损", "垃圾箱满溢"), "垃圾箱破损满溢，周边脏乱"),
    "C0302": Kind(8, "summer", ("公厕无人保洁", "公厕锁门"), "公共厕所卫生差或不开放"),
    "C0303": Kind(5, "flat", ("广告牌匾松动",), "店招牌匾松动，大风天有坠落危险"),
    "C0401": Kind(10, "rain", ("行道树倒伏", "树枝遮挡路灯"), "行道树倒伏或枝叶过密，影响通行"),
    "C0402": Kind(8, "summer", ("绿地被毁", "绿化带种菜"), "公共绿地被破坏或私自占用"),
    "C0501": Kind(2, "rain", ("房屋墙体开裂",), "老旧房屋墙体开裂，担心倒塌"),
    "C0502": Kind(12, "building", ("楼顶违建", "私搭乱建"), "有人私自搭建建筑物，侵占公共空间"),
    "C0601": Kind(5, "flat", ("健身器材损坏",), "小区健身器材损坏，老人孩子易受伤"),
    "C0602": Kind(3, "flat", ("监控探头损坏",), "路口监控探头损坏"),
    # 事件 events
    "E0101": Kind(90, "summer", ("暴露垃圾", "垃圾堆积未清运"), "垃圾长时间堆放未清运，气味难闻"),
    "E0102": Kind(40, "building", ("渣土乱倒", "建筑垃圾堆积"), "建筑垃圾渣土随意堆放"),
    "E0103": Kind(30, "dry", ("道路不洁", "路面油污"), "道路脏污，长时间无人清扫"),
    "E0104": Kind(5, "summer", ("河道漂浮物", "水面垃圾"), "河道水面漂浮垃圾，发黑发臭"),
    "E0105": Kind(18, "summer", ("餐馆油烟扰民", "烧烤油烟"), "餐馆油烟直排，呛得不敢开窗"),
    "E0201": Kind(35, "flat", ("小广告张贴", "墙面喷涂小广告"), "墙面、电线杆被贴满小广告"),
    "E0202": Kind(8, "flat", ("违规户外广告",), "户外广告未经审批设置"),
    "E0301": Kind(30, "building", ("夜间施工扰民", "工地噪音"), "工地夜间施工，噪音影响休息"),
    "E0302": Kind(15, "dry", ("工地扬尘", "渣土车未覆盖"), "工地扬尘严重，未采取覆盖措施"),
    "E0303": Kind(12, "building", ("道路遗撒",), "运输车辆沿路遗撒泥土砂石"),
    "E0401": Kind(1, "rain", ("路面塌陷",), "路面突然塌陷出现大坑，车辆无法通行"),
    "E0402": Kind(8, "winter", ("自来水管爆裂", "水管破裂冒水"), "地下水管破裂，路面大量冒水"),
    "E0403": Kind(3, "winter", ("闻到燃气味", "燃气泄漏"), "楼道内燃气味很重，疑似泄漏"),
    "E0404": Kind(
        10, "dry", ("楼道堆放杂物", "电动车飞线充电"), "楼道堆放杂物、飞线充电，存在火灾隐患"
    ),
    "E0501": Kind(
        80, "summer", ("占道经营", "流动摊贩占道"), "商贩占用人行道经营，行人只能走机动车道"
    ),
    "E0502": Kind(50, "flat", ("车辆乱停放", "消防通道被占"), "车辆乱停堵塞道路和消防通道"),
    "E0503": Kind(12, "flat", ("无照经营",), "无证无照经营，卫生状况堪忧"),
    "E0601": Kind(
        70, "summer", ("噪声扰民", "广场舞噪音", "商铺喇叭噪音"), "噪音很大，严重影响休息"
    ),
    "E0602": Kind(25, "flat", ("邻里纠纷", "楼上漏水纠纷"), "与邻居发生纠纷，协商不成希望调解"),
    # 12345 热线
    "H0101": Kind(
        90,
        "flat",
        ("物业不作为", "物业服务差", "电梯故障无人修"),
        "物业公司服务不到位，多次反映无果",
    ),
    "H0102": Kind(12, "rain", ("新房漏水", "房屋质量问题"), "新交付房屋渗水开裂，开发商推诿"),
    "H0103": Kind(20, "summer", ("停水", "水压低", "水质发黄"), "家中停水或水质异常，未见通知"),
    "H0104": Kind(15, "summer", ("频繁停电", "电压不稳"), "小区频繁停电，家电无法使用"),
    "H0105": Kind(6, "winter", ("燃气停供", "燃气压力不足"), "燃气供应不正常，无法做饭"),
    "H0106": Kind(5, "winter", ("暖气不热", "供暖温度不达标"), "家中暖气不热，室温很低"),
    "H0201": Kind(25, "wages", ("拖欠工资", "农民工讨薪"), "工地老板拖欠工资数月，多次讨要无果"),
    "H0202": Kind(12, "flat", ("社保转移咨询", "医保报销咨询"), "咨询社保医保办理流程"),
    "H0301": Kind(10, "school", ("入学政策咨询", "学位咨询"), "咨询孩子入学政策和所需材料"),
    "H0302": Kind(5, "school", ("校外培训退费难",), "校外培训机构拒不退费"),
    "H0401": Kind(10, "winter", ("医院服务投诉", "挂号难"), "就医过程中服务态度差、排队时间长"),
    "H0402": Kind(12, "summer", ("食品过期", "餐馆卫生差"), "购买到过期食品，商家拒绝处理"),
    "H0501": Kind(10, "flat", ("公交线路建议", "公交不按时"), "公交车班次少、不按时发车"),
    "H0502": Kind(10, "tourism", ("出租车拒载", "网约车绕路"), "出租车拒载或网约车绕路多收费"),
    "H0601": Kind(
        25, "tourism", ("预付卡退费难", "商家拒绝退货"), "商家拒不履行承诺，消费者权益受损"
    ),
    "H0602": Kind(5, "tourism", ("景区强制消费",), "景区或旅行团强制购物消费"),
    "H0701": Kind(
        8, "dry", ("焚烧垃圾冒黑烟", "企业排放废气"), "有人焚烧垃圾或企业排放废气，气味刺鼻"
    ),
    "H0702": Kind(5, "summer", ("污水直排河道",), "有污水直接排入河道"),
    "H0801": Kind(12, "summer", ("治安隐患", "夜间聚众喧哗"), "夜间有人聚集喧哗，存在治安隐患"),
    "H0802": Kind(10, "flat", ("矛盾纠纷调解",), "家庭或邻里矛盾，希望有关部门调解"),
    "H0901": Kind(8, "winter", ("低保申请咨询", "困难救助"), "家庭困难，咨询救助政策"),
    "H0902": Kind(6, "flat", ("养老服务咨询",), "咨询居家养老服务和高龄补贴"),
    "H1001": Kind(3, "building", ("农资质量问题",), "购买的种子化肥质量有问题"),
    "H1002": Kind(4, "summer", ("村庄环境脏乱",), "村里垃圾无人收运，污水横流"),
}
DEFAULT_KIND = Kind(2, "flat", (), "请有关部门尽快处理")

# Questions a 12345 operator can often answer on the line (直接办结).
CONSULTATIONS = frozenset({"H0202", "H0301", "H0401", "H0501", "H0901", "H0902", "H1001"})
# Small matters a community settles (小事不出社区).
SMALL_MATTERS = frozenset({"E0602", "H0101", "E0101", "E0201", "H0802", "C0601", "E0404"})
# Matters that take several departments: the street blows a whistle (吹哨).
COMPLEX_MATTERS = frozenset(
    {"C0502", "C0501", "H0201", "E0301", "E0501", "H0102", "E0105", "E0302", "H1002"}
)
# What a gridder fixes himself on patrol (网格员自行处置).
ON_THE_SPOT = frozenset({"E0101", "E0103", "E0201", "E0502", "E0501", "C0301", "E0404", "C0601"})
# What a sensor can notice (物联感知).
SENSED = frozenset({"C0101", "C0102", "C0201", "E0402", "E0403", "E0601", "E0302", "C0104"})
# Chance that the caller's matter is an emergency, by category.
EMERGENCY_SHARE = {"E0401": 1.0, "E0403": 1.0, "E0402": 0.6, "E0404": 0.3, "C0104": 0.3}
URGENT_SHARE = {"C0101": 0.5, "C0102": 0.3, "C0202": 0.5, "H0103": 0.3, "H0104": 0.3}
