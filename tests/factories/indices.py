"""A framework and data small enough to compute by hand (see tests/indices/test_pipeline.py).

A ← weight 1, B ← weight 3 (less is better) under D1; C under D2; D1 weighs 2, D2 1.
"""

FW = """
name: 手算指数
indicators:
  - {code: A, name: 甲, parent: D1, weight: 1}
  - {code: B, name: 乙, parent: D1, weight: 3, direction: -1}
  - {code: C, name: 丙, parent: D2}
aggregates:
  - {code: D1, name: 维度一, parent: IDX, weight: 2}
  - {code: D2, name: 维度二, parent: IDX, weight: 1}
  - {code: IDX, name: 指数}
"""
DATA = "code,name,A,B,C\nu1,一,0,1,10\nu2,二,5,3,30\nu3,三,10,2,20\n"
