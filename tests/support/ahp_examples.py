"""Published AHP examples, with where each comes from, shared by the engine's and the CLI's tests."""

from __future__ import annotations

# Saaty, T. L. (2008), "Decision making with the analytic hierarchy process", Int. J. Services Sciences
# 1(1), 83-98: relative consumption of drinks in the United States. Priorities and the consistency ratio
# (Donegan-Dodd random index 1.2519 for n = 7) as published to 4 decimals in AHPy's tests,
# PhilipGriffith/AHPy ahpy/test_ahp.py (test_drinks_weights_precision_4_dd, test_drinks_cr_dd).
DRINKS = ("coffee", "wine", "tea", "beer", "soda", "milk", "water")
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_PUBLISHED = {"coffee": 0.1775, "wine": 0.0191, "tea": 0.0418, "beer": 0.1164, "soda": 0.1896,
                    "milk": 0.1288, "water": 0.3268}

# Saaty, T. L. (2005), Theory and Applications of the Analytic Network Process: choosing a city to live
# in. Global priorities as published to 4 decimals in AHPy's tests (test_cities_weights_dd_precision_4).
CITIES = ["Bethesda", "Boston", "Pittsburgh", "Santa Fe"]
CITY_CRITERIA = ["Culture", "Family", "Housing", "Jobs", "Transportation"]
CITY_JUDGMENTS = {
    "Goal": [[1, 1 / 5, 3, 1 / 2, 5], [5, 1, 7, 1, 7], [1 / 3, 1 / 7, 1, 1 / 4, 3], [2, 1, 4, 1, 7],
             [1 / 5, 1 / 7, 1 / 3, 1 / 7, 1]],
    "Culture": [[1, 1 / 2, 1, 1 / 2], [2, 1, 2.5, 1], [1, 1 / 2.5, 1, 1 / 2.5], [2, 1, 2.5, 1]],
    "Family": [[1, 2, 1 / 3, 4], [1 / 2, 1, 1 / 8, 2], [3, 8, 1, 9], [1 / 4, 1 / 2, 1 / 9, 1]],
    "Housing": [[1, 5, 1 / 2, 2.5], [1 / 5, 1, 1 / 9, 1 / 4], [2, 9, 1, 7], [1 / 2.5, 4, 1 / 7, 1]],
    "Jobs": [[1, 1 / 2, 3, 4], [2, 1, 6, 8], [1 / 3, 1 / 6, 1, 1], [1 / 4, 1 / 8, 1, 1]],
    "Transportation": [[1, 1.5, 1 / 2, 4], [1 / 1.5, 1, 1 / 3.5, 2.5], [2, 3.5, 1, 9], [1 / 4, 1 / 2.5, 1 / 9, 1]],
}
CITIES_PUBLISHED = {"Bethesda": 0.2291, "Boston": 0.2748, "Pittsburgh": 0.3852, "Santa Fe": 0.1110}
