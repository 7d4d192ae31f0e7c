"""A realistic, deterministic sample of every input table (SPEC 3), built with numpy.

`generate_sample(n, seed, questionnaire=...)` returns one DataFrame per table of
`schemas.TABLES`, with exactly the schema's columns (the answer columns q01… come from the
questionnaire, the metric columns are `satisfaction` and `referrals`). The same seed gives the
same tables: the only source of randomness is `numpy.random.default_rng(seed)`, drawn in a
fixed order. No clock is read: the data runs up to `end` (the export date, `SAMPLE_END`).

Dates are relative to `end`: the reference quarter end is the last one before `end`
(2026-09-30 for the default), the "last complete year" is the calendar year before it (2025),
and balances start on 1 October of the year before that (2024-10-01), so some rows carry into
the last complete year. Rows after the reference quarter end exist on purpose.

Deliberate edge cases sit at fixed client ids (`EDGE_CASES`); every other client is drawn at
random. Everything is vectorised: no Python loop runs over clients or balance rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tiering.schemas import ANSWER_PATTERN, columns, pattern_columns

SAMPLE_END = date(2026, 11, 27)
DEFAULT_SEED = 20260930
MIN_CLIENTS = 100
BRANCHES = ("北京", "上海", "深圳", "广州", "杭州")
RISK_BANDS = (("conservative", 9, 40), ("balanced", 41, 75), ("aggressive", 76, 100))
LEVELS = ("ordinary", "potential", "core", "vip")
METRICS = ("satisfaction", "referrals")

# Deliberate edge cases: name -> client numbers (C000005 is number 5). "Last year" is the last
# complete year at the reference quarter end (2025 for the default end date).
_EDGE: dict[str, tuple[int, ...]] = {
    # daily_assets: step-function averages over last year exactly on a threshold
    "avg_last_year_exactly_5m": (5,),  # institution; 5,000,000 all year, fee 8,000: core B
    "avg_last_year_exactly_500k": (10,),  # 500,000 all year, below it this year
    "avg_last_year_exactly_100k": (15,),  # 100,000 all year, below it this year
    "vip_by_ytd_only": (20,),  # ~2.95M last year, ~6.8M this year to date, fee < 10,000
    "vip_last_year_only": (25,),  # ~7.2M last year, ~1.8M this year to date, fee < 10,000
    # fees: last year's management fee decides
    "core_a_by_fee_modest_assets": (30, 31, 32),  # 12,000 / 25,000 / 49,999.99
    "vip_by_fee": (35,),  # ~3.8M assets, fee ~68,000
    "fee_exactly_10k": (40,),  # 4 x 2,500 on ~650k
    "fee_exactly_50k_with_reversal": (45,),  # 13,000 - 500 + 3 x 12,500 on ~3M
    # balance rows after the close date (data errors a run must handle)
    "balance_after_close": (50, 51),
    # risk assessments and recorded categories
    "score_off": (55, 56, 57),  # given score = scored answers +3, -2, +5
    "recorded_category_disagrees": (60, 61, 62),
    "unsigned_latest_assessment": (70,),
    "expired_assessment_only": (71,),  # one assessment, 800 days before the reference date
    "no_assessment": (72,),
    "two_assessments_category_changed": (73,),  # aggressive earlier, conservative latest
    # suitability: high-risk (R4/R5) purchases last year by low scorers
    "mismatch_purchase_warning_unsigned": (75,),
    "mismatch_purchase_warning_signed": (76,),
    "lowest_category_purchase_warning_signed": (77,),  # score 9: still a violation
    # account lifecycle
    "opened_after_reference_date": (80,),
    "opened_this_year_before_reference_date": (81,),
    "closed_after_reference_date": (82,),
    # level overrides: one ended last year, then an open-ended one this year
    "override_ended_then_new": (65,),
}
_HEAD = 100  # every edge case is among the first _HEAD clients; random features skip them

_BIG = 10**7  # a day number far in the future: "never"
_K = 1 << 12  # day offsets within a client's key (the data spans far fewer than 4096 days)
_S = np.dtypes.StringDType()


def _client_id(number: int) -> str:
    return f"C{number:06d}"


EDGE_CASES: dict[str, tuple[str, ...]] = {
    name: tuple(_client_id(k) for k in numbers) for name, numbers in _EDGE.items()
}


# --------------------------------------------------------------------------- calendar


def _day(value: date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _roll_forward(days: np.ndarray) -> np.ndarray:
    wd = _weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _roll_back(days: np.ndarray) -> np.ndarray:
    wd = _weekday(days)
    return days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))


_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


@dataclass(frozen=True)
class _Calendar:
    end: int
    ref: int  # the last quarter end before `end`
    year: int  # the last complete year at `ref`
    start: int  # first balance date: 1 October of year - 1
    year_start: int  # 1 January of `year`
    quarter_starts: np.ndarray  # quarters within [start, end]
    quarter_ends: np.ndarray
    holding_dates: np.ndarray  # the four quarter ends up to `ref`
    month_ends: np.ndarray  # in [start, end]
    fridays: np.ndarray  # in [start, end]

    @classmethod
    def at(cls, end: date) -> _Calendar:
        ends = [date(y, m, d) for y in (end.year - 1, end.year) for m, d in _QUARTER_ENDS]
        ref = max(q for q in ends if q < end)
        year = ref.year - 1
        start = date(year - 1, 10, 1)
        qs, qe = [], []
        for y in range(year - 1, end.year + 1):
            for m, d in _QUARTER_ENDS:
                if start <= date(y, m, d) <= end:
                    qs.append(_day(date(y, m - 2, 1)))
                    qe.append(_day(date(y, m, d)))
        first_month = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
        months = first_month + np.arange(0, (end.year - start.year + 1) * 12 + 1)
        month_ends = ((months + 1).astype("datetime64[D]") - 1).astype(np.int64)
        month_ends = month_ends[month_ends <= _day(end)]
        days = np.arange(_day(start), _day(end) + 1)
        qe_arr = np.array(qe, dtype=np.int64)
        return cls(
            end=_day(end), ref=_day(ref), year=year, start=_day(start),
            year_start=_day(date(year, 1, 1)),
            quarter_starts=np.array(qs, dtype=np.int64), quarter_ends=qe_arr,
            holding_dates=qe_arr[qe_arr <= _day(ref)][-4:], month_ends=month_ends,
            fridays=days[_weekday(days) == 4],
        )

    def on(self, years: int, month: int, day: int) -> int:
        """Day number of (last year + years, month, day)."""
        return _day(date(self.year + years, month, day))


# --------------------------------------------------------------------------- questionnaire


@dataclass(frozen=True)
class _Quiz:
    ids: tuple[str, ...]
    letters: tuple[np.ndarray, ...]  # per question, option letters by ascending points
    points: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, questionnaire: Mapping[str, Mapping[str, float]]) -> _Quiz:
        ids = tuple(sorted(questionnaire))
        if not ids:
            raise ValueError("the questionnaire has no questions")
        letters, points = [], []
        for qid in ids:
            if not re.fullmatch(ANSWER_PATTERN, qid):
                raise ValueError(f"question id {qid!r} does not match {ANSWER_PATTERN}")
            options = sorted(questionnaire[qid].items(), key=lambda kv: (kv[1], kv[0]))
            if len(options) < 2:
                raise ValueError(f"question {qid} has fewer than two options")
            letters.append(np.array([k for k, _ in options], dtype=_S))
            points.append(np.array([v for _, v in options], dtype=np.float64))
        return cls(ids, tuple(letters), tuple(points))

    def options(self, appetite: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Option index per (row, question) from a latent appetite in [0, 1] plus noise."""
        out = np.empty((appetite.size, len(self.ids)), dtype=np.int64)
        for j, pts in enumerate(self.points):
            top = pts.size - 1
            out[:, j] = np.clip(np.rint(appetite * top + noise[:, j]), 0, top)
        return out

    def score(self, options: np.ndarray) -> np.ndarray:
        return sum(pts[options[:, j]] for j, pts in enumerate(self.points))


def _band(score: np.ndarray) -> np.ndarray:
    """Index into RISK_BANDS of each score (the default three-band scale of SPEC 2.1)."""
    return np.searchsorted(np.array([hi for _, _, hi in RISK_BANDS[:-1]]), score, side="left")


# --------------------------------------------------------------------------- names

_SURNAMES = (
    "王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma "
    "朱zhu 胡hu 郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han "
    "冯feng 邓deng 曹cao 彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai "
    "余yu 杜du 叶ye 程cheng 苏su 魏wei 吕lv 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui "
    "钟zhong 谭tan 陆lu 汪wang 范fan 金jin 石shi 廖liao 贾jia 夏xia 韦wei 付fu 方fang 白bai "
    "邹zou 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin 薛xue 闫yan 段duan 雷lei 侯hou 龙long "
    "史shi 陶tao 黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan 钱qian 严yan 戴dai 孔kong"
)
_GIVEN = (
    "伟wei 芳fang 娜na 敏min 静jing 丽li 强qiang 磊lei 军jun 洋yang 勇yong 艳yan 杰jie "
    "娟juan 涛tao 明ming 超chao 秀xiu 霞xia 平ping 刚gang 桂gui 英ying 华hua 玉yu 萍ping "
    "红hong 建jian 文wen 辉hui 力li 斌bin 宇yu 浩hao 凯kai 鹏peng 晨chen 欣xin 怡yi 婷ting "
    "雪xue 琳lin 晶jing 颖ying 慧hui 俊jun 峰feng 海hai 波bo 鑫xin 国guo 志zhi 春chun "
    "东dong 子zi 梓zi 涵han 轩xuan 博bo 瑞rui 思si 佳jia 嘉jia 雨yu 天tian 泽ze 宁ning "
    "立li 新xin 兰lan 凤feng 云yun 荣rong 亮liang 成cheng 晓xiao 飞fei 健jian 帆fan 蕾lei "
    "薇wei 倩qian 悦yue 诗shi 梦meng 然ran 琪qi 昊hao 睿rui 航hang 阳yang 宏hong 振zhen "
    "庆qing 德de 永yong 安an 彤tong 毅yi 哲zhe 楠nan 璐lu 莹ying 洁jie 翔xiang 松song 旭xu "
    "岩yan 铭ming 玲ling 燕yan 丹dan 秋qiu 蓉rong 坤kun 江jiang 川chuan"
)
_TRADE = tuple("鼎信恒泰嘉盛瑞丰和润安源汇达融通睿远博弘景明正元鑫宏兴华银星辰云海峰德诚裕晟")
_COMPANY = (
    "投资管理有限公司", "资产管理有限公司", "投资有限公司", "实业有限公司", "科技有限公司",
    "投资合伙企业（有限合伙）", "控股集团有限公司",
)
_OTHER_CITIES = ("苏州", "南京", "成都", "武汉", "天津", "宁波", "厦门", "重庆")
_AREA_CODES = ("010", "021", "0755", "020", "0571")  # by BRANCHES
_MOBILE = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
)
_MAIL = ("example.com", "example.net", "example.org")
_APPROVERS = ("总经理 陈志远", "合规负责人 刘静", "财富管理部总监 赵磊", "分管副总 孙立群")
_REASONS_UP = (
    "战略合作客户，总经理特批提级", "家族关联账户合并计算资产，提级服务",
    "机构客户代销渠道合作，按核心客户服务", "高净值潜在客户，试行VIP服务一年",
    "客户投诉处理，临时提级以加强服务",
)
_REASONS_DOWN = ("客户书面要求降低服务频次", "长期联系不上，暂停专属服务")


def _split(text: str) -> tuple[np.ndarray, np.ndarray]:
    entries = text.split()
    return np.array([e[0] for e in entries], dtype=_S), np.array([e[1:] for e in entries], dtype=_S)


_SUR_HAN, _SUR_PY = _split(_SURNAMES)
_GIV_HAN, _GIV_PY = _split(_GIVEN)
_SUR_WEIGHTS = 1.0 / (np.arange(_SUR_HAN.size) + 4.0)
_SUR_WEIGHTS /= _SUR_WEIGHTS.sum()


def _person_names(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Chinese names (surname + one or two characters) and their pinyin."""
    sur = rng.choice(_SUR_HAN.size, size=k, p=_SUR_WEIGHTS)
    g1 = rng.integers(0, _GIV_HAN.size, k)
    g2 = rng.integers(0, _GIV_HAN.size, k)
    two = (rng.random(k) < 0.7) & (g1 != g2)
    empty = np.array("", dtype=_S)
    name = np.strings.add(np.strings.add(_SUR_HAN[sur], _GIV_HAN[g1]),
                          np.where(two, _GIV_HAN[g2], empty))
    pinyin = np.strings.add(np.strings.add(_SUR_PY[sur], _GIV_PY[g1]),
                            np.where(two, _GIV_PY[g2], empty))
    return name, pinyin


def _institution_names(rng: np.random.Generator, branch: np.ndarray) -> np.ndarray:
    k = branch.size
    cities = np.array(BRANCHES + _OTHER_CITIES, dtype=_S)
    city = np.where(rng.random(k) < 0.75, branch, rng.integers(len(BRANCHES), cities.size, k))
    trade = np.array(_TRADE, dtype=_S)
    t1 = rng.integers(0, trade.size, k)
    t2 = (t1 + rng.integers(1, trade.size, k)) % trade.size
    suffix = np.array(_COMPANY, dtype=_S)[rng.integers(0, len(_COMPANY), k)]
    return np.strings.add(np.strings.add(np.strings.add(cities[city], trade[t1]), trade[t2]),
                          suffix)


def _digits(values: np.ndarray, width: int = 0) -> np.ndarray:
    text = np.asarray(values, dtype=np.int64).astype(_S)
    return np.strings.zfill(text, width) if width else text


# --------------------------------------------------------------------------- products

# (product_type, risk index 0..4 = R1..R5, name stem, count, fee rates, performance fee,
#  annual volatility, annual drift)
_LINES = (
    ("现金管理", 0, "现金增利", 2, (0.01,), 0.0, 0.004, 0.022),
    ("固定收益", 1, "稳健收益", 4, (0.01, 0.012), 0.2, 0.025, 0.045),
    ("债券增强", 1, "信用增强", 2, (0.012, 0.015), 0.2, 0.04, 0.05),
    ("市场中性", 2, "量化中性", 4, (0.015, 0.02), 0.2, 0.06, 0.06),
    ("FOF", 2, "精选FOF", 3, (0.01, 0.012), 0.1, 0.08, 0.05),
    ("多策略", 2, "多策略", 1, (0.015,), 0.2, 0.09, 0.06),
    ("股票多头", 3, "成长精选", 4, (0.015, 0.02), 0.2, 0.24, 0.08),
    ("指数增强", 3, "中证500指数增强", 3, (0.015, 0.018), 0.2, 0.22, 0.07),
    ("管理期货", 3, "CTA趋势", 2, (0.015, 0.02), 0.2, 0.15, 0.06),
    ("宏观对冲", 3, "宏观对冲", 1, (0.02,), 0.2, 0.14, 0.05),
    ("股权投资", 4, "新兴产业", 2, (0.02,), 0.2, 0.30, 0.09),
    ("衍生品", 4, "期权套利", 2, (0.02,), 0.2, 0.28, 0.07),
)
_BRAND = "岚舟"


@dataclass(frozen=True)
class _Products:
    ids: np.ndarray
    names: np.ndarray
    types: np.ndarray
    risk: np.ndarray  # 0..4, ascending through the table
    mgmt: np.ndarray
    perf: np.ndarray
    vol: np.ndarray
    drift: np.ndarray
    nav: np.ndarray  # (products, fridays) unit NAV
    acc: np.ndarray  # accumulated NAV
    div_product: np.ndarray  # dividend events: product, week index, per-unit fraction
    div_week: np.ndarray
    div_rate: np.ndarray

    @property
    def up_to(self) -> np.ndarray:
        """Number of products with risk index <= r, for r = 0..4."""
        return np.searchsorted(self.risk, np.arange(5), side="right")


def _make_products(rng: np.random.Generator, cal: _Calendar) -> _Products:
    rows = [(line, k) for line in _LINES for k in range(1, line[3] + 1)]
    p = len(rows)
    ids = np.array([f"P{i + 1:03d}" for i in range(p)], dtype=_S)
    names = np.array(
        [f"{_BRAND}{ln[2]}{k}号私募{'股权' if ln[0] == '股权投资' else '证券'}投资基金"
         for ln, k in rows], dtype=_S)
    types = np.array([ln[0] for ln, _ in rows], dtype=_S)
    risk = np.array([ln[1] for ln, _ in rows], dtype=np.int64)
    mgmt = np.array([ln[4][rng.integers(0, len(ln[4]))] for ln, _ in rows])
    perf = np.array([ln[5] for ln, _ in rows])
    vol = np.array([ln[6] for ln, _ in rows])
    drift = np.array([ln[7] for ln, _ in rows])

    weeks = cal.fridays.size
    dt = 7 / 365
    shocks = rng.standard_normal((p, weeks))
    steps = (drift - vol**2 / 2)[:, None] * dt + vol[:, None] * np.sqrt(dt) * shocks
    steps[:, 0] = 0.0
    gross = rng.uniform(0.9, 2.2, p)[:, None] * np.exp(np.cumsum(steps, axis=1))
    # one cash dividend for about a third of the non-cash products, paid within last year+
    pays = (risk > 0) & (rng.random(p) < 0.35)
    first_week = int(np.searchsorted(cal.fridays, cal.year_start))
    week = rng.integers(first_week, weeks, p)
    rate = np.round(rng.uniform(0.03, 0.06, p), 3)
    factor = np.ones((p, weeks))
    paid = pays[:, None] & (np.arange(weeks)[None, :] >= week[:, None])
    factor[paid] = (1 - rate[:, None] * np.ones((1, weeks)))[paid]
    nav = np.round(gross * factor, 4)
    per_unit = np.where(pays, gross[np.arange(p), week] * rate, 0.0)
    earlier = np.where(rng.random(p) < 0.4, rng.uniform(0.02, 0.3, p), 0.0)
    acc = np.round(nav + earlier[:, None] + np.where(paid, per_unit[:, None], 0.0), 4)
    return _Products(ids, names, types, risk, mgmt, perf, vol, drift, nav, acc,
                     np.flatnonzero(pays), week[pays], rate[pays])


# --------------------------------------------------------------------------- clients


@dataclass
class _Clients:
    n: int
    inst: np.ndarray
    branch: np.ndarray
    open: np.ndarray
    close: np.ndarray  # _BIG when open
    funded: np.ndarray
    wealth: np.ndarray  # target balance level
    birth: np.ndarray  # -_BIG for institutions
    appetite: np.ndarray  # latent risk appetite in (0, 1)
    professional: np.ndarray


def _edge_index(*names: str) -> np.ndarray:
    """0-based positions of the clients of the named edge cases, ascending."""
    return np.array(sorted(k - 1 for name in names for k in _EDGE[name]), dtype=np.int64)


def _one(name: str) -> int:
    """0-based position of the one client of an edge case."""
    (number,) = _EDGE[name]
    return number - 1


_ASSET_EDGES = (
    "avg_last_year_exactly_5m", "avg_last_year_exactly_500k", "avg_last_year_exactly_100k",
    "vip_by_ytd_only", "vip_last_year_only", "core_a_by_fee_modest_assets", "vip_by_fee",
    "fee_exactly_10k", "fee_exactly_50k_with_reversal", "balance_after_close",
)
_EDGE_WEALTH = {
    5: 5e6, 10: 5e5, 15: 1e5, 20: 4.5e6, 25: 6e6, 30: 3e5, 31: 4.5e5, 32: 2.6e6, 35: 3.8e6,
    40: 6.5e5, 45: 3e6, 50: 8.2e5, 51: 1.5e5, 55: 6e5, 56: 2.5e5, 57: 4e4, 60: 1.2e6,
    61: 3e5, 62: 8e4, 65: 2e6, 70: 9e5, 71: 7e5, 72: 2e5, 73: 1.5e6, 75: 3.5e5, 76: 8e5,
    77: 1.2e5, 80: 8e5, 81: 3e5, 82: 6e5,
}


def _make_clients(rng: np.random.Generator, n: int, cal: _Calendar) -> _Clients:
    lo, hi = _day(date(2015, 1, 1)), cal.end
    inst = rng.random(n) < 0.15
    branch = rng.choice(len(BRANCHES), size=n, p=[0.25, 0.3, 0.2, 0.12, 0.13])
    open_ = _roll_back(lo + np.floor(rng.random(n) ** 0.75 * (hi - lo + 1)).astype(np.int64))
    closed = (rng.random(n) < 0.03) & (open_ < hi - 90)
    c_lo = np.maximum(open_ + 30, cal.start - 450)
    close = np.where(closed & (c_lo < hi),
                     _roll_back(c_lo + np.floor(rng.random(n) * (hi - c_lo + 1)).astype(np.int64)),
                     _BIG)
    close = np.where(close < open_ + 30, _BIG, close)
    funded = rng.random(n) >= 0.04
    wealth = np.exp(rng.normal(10.75, 2.2, n) + np.where(inst, 1.2, 0.0))
    wealth = np.clip(wealth, 2000.0, 3e8)
    age = np.clip(rng.normal(44, 11, n), 18.3, 80)
    birth = np.where(inst, -_BIG, open_ - np.floor(age * 365.25).astype(np.int64))

    # the deliberate cases: known types, long-standing accounts, set balance levels
    edge = np.array(sorted(_EDGE_WEALTH)) - 1
    inst[edge] = False
    inst[_one("avg_last_year_exactly_5m")] = True  # an institution holding exactly 5,000,000
    open_[edge] = _roll_back(_day(date(2017, 1, 1)) + rng.integers(0, 5 * 365, edge.size))
    open_[edge] = np.minimum(open_[edge], cal.start - 60)
    close[edge] = _BIG
    close[_edge_index("balance_after_close")] = cal.on(1, 3, 13), cal.on(0, 6, 30)
    # relative to the reference date (2026-10-20, 2026-10-15 and 2026-05-17 by default)
    close[_one("closed_after_reference_date")] = min(cal.ref + 20, cal.end)
    open_[_one("opened_after_reference_date")] = min(cal.ref + 15, cal.end)
    ref_year = cal.on(1, 1, 1)
    open_[_one("opened_this_year_before_reference_date")] = _roll_back(
        np.int64(ref_year + (cal.ref - ref_year) // 2))
    funded[edge] = True
    wealth[edge] = [_EDGE_WEALTH[k + 1] for k in edge]
    age[edge] = np.clip(age[edge], 30, 62)
    birth = np.where(inst, -_BIG, open_ - np.floor(age * 365.25).astype(np.int64))

    level = np.log10(np.maximum(wealth, 1e3))
    z = rng.normal(0, 0.9, n) + 0.35 * (level - 5) - np.where(inst, -0.2, 0.025 * (age - 45))
    appetite = 1 / (1 + np.exp(-z))
    p_pro = np.where(inst, 0.35, np.where(wealth > 3e6, 0.25, 0.02))
    professional = rng.random(n) < p_pro
    professional[edge] = False
    return _Clients(n, inst, branch, open_, close, funded, wealth, birth, appetite, professional)


def _client_details(rng: np.random.Generator, cl: _Clients) -> dict[str, pd.Series]:
    n = cl.n
    name, pinyin = _person_names(rng, n)
    inst = np.flatnonzero(cl.inst)
    name[inst] = _institution_names(rng, cl.branch[inst])
    mobile = np.array(_MOBILE)[rng.integers(0, len(_MOBILE), n)] * 10**8 + rng.integers(
        0, 10**8, n)
    landline = np.strings.add(
        np.strings.add(np.array(_AREA_CODES, dtype=_S)[cl.branch], "-"),
        _digits(rng.integers(5 * 10**7, 9 * 10**7, n)))
    phone = np.where(cl.inst, landline, _digits(mobile))
    no_phone = rng.random(n) < np.where(cl.inst, 0.1, 0.03)
    handle = np.where(cl.inst, np.strings.add("ir", _digits(rng.integers(100, 10000, n))),
                      np.strings.add(pinyin, _digits(rng.integers(1, 1000, n))))
    email = np.strings.add(np.strings.add(handle, "@"),
                           np.array(_MAIL, dtype=_S)[rng.integers(0, len(_MAIL), n)])
    no_email = rng.random(n) >= np.where(cl.inst, 0.7, 0.35)
    return {
        "name": _text(name),
        "phone": _text(phone, missing=no_phone),
        "email": _text(email, missing=no_email),
    }


# --------------------------------------------------------------------------- assessments


@dataclass(frozen=True)
class _Assessments:
    client: np.ndarray
    day: np.ndarray
    options: np.ndarray  # (rows, questions)
    score: np.ndarray  # the given score
    signed: np.ndarray
    has: np.ndarray  # per client
    latest_score: np.ndarray  # per client, scored answers of the latest assessment (NaN: none)
    signed_score: np.ndarray  # per client, of the latest signed one up to the reference date,
    # else of the latest signed one (clients assessed after it)


def _make_assessments(
    rng: np.random.Generator, cl: _Clients, cal: _Calendar, quiz: _Quiz
) -> _Assessments:
    n = cl.n
    has = rng.random(n) >= 0.05
    at_open = cl.open - rng.integers(0, 6, n)
    r_lo = np.maximum(cl.open - 5, cal.ref - 700)
    recent = r_lo + np.floor(rng.random(n) * (cal.end - r_lo + 1)).astype(np.int64)
    o_lo = np.maximum(cl.open - 5, cal.ref - 2230)
    old = o_lo + np.floor(rng.random(n) * np.maximum(cal.ref - 731 - o_lo + 1, 1)).astype(np.int64)
    u = rng.random(n)
    latest = np.where(
        cl.open >= cal.ref - 700,
        np.where(u < 0.75, at_open, recent),
        np.where((u < 0.2) & (o_lo <= cal.ref - 731), old, recent),
    )
    earlier = latest - rng.integers(400, 1100, n)
    two = has & (rng.random(n) < 0.12) & (earlier >= cl.open - 10)
    signed_latest = rng.random(n) >= 0.015
    signed_earlier = rng.random(n) >= 0.015
    drift = rng.normal(0, 0.12, n)

    edge = np.array(sorted(_EDGE_WEALTH)) - 1
    has[edge] = True
    two[edge] = False
    signed_latest[edge] = True
    latest[edge] = cal.ref - rng.integers(30, 600, edge.size)
    has[_one("no_assessment")] = False
    signed_latest[_one("unsigned_latest_assessment")] = False
    latest[_one("expired_assessment_only")] = cal.ref - 800
    changed = _one("two_assessments_category_changed")
    latest[changed], earlier[changed], two[changed] = cal.ref - 60, cal.ref - 500, True
    signed_earlier[changed] = True
    for name in ("opened_after_reference_date", "opened_this_year_before_reference_date"):
        latest[_one(name)] = cl.open[_one(name)] - 2  # assessed when opening the account
    latest = np.minimum(_roll_back(latest), cal.end)
    earlier = _roll_back(earlier)

    lc = np.flatnonzero(has)
    ec = np.flatnonzero(two)
    client = np.concatenate([lc, ec])
    day = np.concatenate([latest[lc], earlier[ec]])
    appetite = np.concatenate([cl.appetite[lc], np.clip(cl.appetite[ec] + drift[ec], 0.01, 0.99)])
    noise = rng.normal(0, 0.6, (client.size, len(quiz.ids)))
    # deliberate answers: no noise, a set appetite (0: every lowest option)
    fixed = {
        "two_assessments_category_changed": 0.2, "mismatch_purchase_warning_unsigned": 0.25,
        "mismatch_purchase_warning_signed": 0.3, "lowest_category_purchase_warning_signed": 0.0,
    }
    rows = [(int(np.searchsorted(lc, _one(k))), a) for k, a in fixed.items()]
    rows.append((lc.size + int(np.searchsorted(ec, changed)), 0.85))  # its earlier one
    for row, a in rows:
        appetite[row], noise[row] = a, 0.0
    options = quiz.options(appetite, noise)
    true = quiz.score(options)
    lowest = float(sum(p[0] for p in quiz.points))
    highest = float(sum(p[-1] for p in quiz.points))
    given = true.copy()
    for k, delta in zip(_edge_index("score_off"), (3, -2, 5), strict=True):
        row = int(np.searchsorted(lc, k))
        shifted = given[row] + delta
        given[row] = shifted if lowest <= shifted <= highest else given[row] - delta
    signed = np.concatenate([signed_latest[lc], signed_earlier[ec]])
    latest_score = np.full(n, np.nan)
    latest_score[lc] = true[: lc.size]
    order = np.lexsort((day, client))
    client, day, signed, true = client[order], day[order], signed[order], true[order]
    signed_score = np.full(n, np.nan)
    for ok in (np.flatnonzero(signed), np.flatnonzero(signed & (day <= cal.ref))):
        last = ok[np.append(client[ok][1:] != client[ok][:-1], True)] if ok.size else ok
        signed_score[client[last]] = true[last]  # the second pass wins where it has a row
    return _Assessments(client, day, options[order], given[order], signed, has, latest_score,
                        signed_score)


# --------------------------------------------------------------------------- portfolios


@dataclass(frozen=True)
class _Portfolio:
    slots: np.ndarray  # (clients, 3) product index, -1 when empty
    weights: np.ndarray  # (clients, 3), rows sum to 1
    rate: np.ndarray  # management fee rate
    sigma: np.ndarray
    mu: np.ndarray
    mismatch: np.ndarray  # client indices with a forced high-risk purchase last year
    risky_slot: np.ndarray  # per mismatch client, the slot holding the high-risk product
    warning: np.ndarray  # per mismatch client, warning_signed


def _make_portfolio(
    rng: np.random.Generator, cl: _Clients, ra: _Assessments, prod: _Products, cal: _Calendar
) -> _Portfolio:
    n = cl.n
    band = np.where(np.isnan(ra.latest_score), 1, _band(np.nan_to_num(ra.latest_score)))
    cap = np.select([band == 0, band == 1], [np.where(rng.random(n) < 0.9, 1, 0), 2], 4)
    allowed = prod.up_to[cap]
    slots = np.floor(rng.random((n, 3)) * allowed[:, None]).astype(np.int64)
    slots[:, 1] = np.where(rng.random(n) < 0.45, slots[:, 1], -1)
    slots[:, 2] = np.where(rng.random(n) < 0.2, slots[:, 2], -1)
    slots[slots[:, 1] == slots[:, 0], 1] = -1
    slots[(slots[:, 2] == slots[:, 0]) | (slots[:, 2] == slots[:, 1]), 2] = -1
    slots = np.take_along_axis(slots, np.argsort(slots < 0, axis=1, kind="stable"), axis=1)

    # suitability mismatches: conservative clients buying R4/R5 last year
    eligible = (
        (band == 0) & ~np.isnan(ra.latest_score) & cl.funded
        & (cl.open < cal.year_start - 30) & (cl.close > cal.on(0, 12, 31))
    )
    eligible[:_HEAD] = False
    k = max(2, round(n * 0.003))
    pool = np.flatnonzero(eligible)
    extra = np.sort(rng.choice(pool, size=min(k, pool.size), replace=False))
    edge = _edge_index("mismatch_purchase_warning_unsigned", "mismatch_purchase_warning_signed",
                       "lowest_category_purchase_warning_signed")
    mismatch = np.concatenate([edge, extra])
    warning = np.concatenate([[False, True, True], rng.random(extra.size) < 0.5])
    high = prod.up_to[2]
    risky = high + rng.integers(0, prod.ids.size - high, mismatch.size)
    slot = np.minimum((slots[mismatch] >= 0).sum(axis=1), 2)  # the first empty slot, or the last
    slots[mismatch, slot] = risky

    present = slots >= 0
    w = np.column_stack([1 + rng.random(n), rng.uniform(0.3, 1, n), rng.uniform(0.3, 0.8, n)])
    w = np.where(present, w, 0.0)
    w /= w.sum(axis=1, keepdims=True)
    safe = np.where(present, slots, 0)
    rate = (w * prod.mgmt[safe]).sum(axis=1)
    sigma = (w * prod.vol[safe]).sum(axis=1)
    mu = (w * prod.drift[safe]).sum(axis=1)
    return _Portfolio(slots, w, rate, sigma, mu, mismatch, slot, warning)


# --------------------------------------------------------------------------- balances


@dataclass(frozen=True)
class _Balances:
    client: np.ndarray
    day: np.ndarray
    balance: np.ndarray
    kind: np.ndarray  # 0 valuation, 1 flow, 2 redeemed in full, 3 first funding, 4 mismatch buy
    key: np.ndarray  # client * _K + (day - start), sorted
    moves: np.ndarray  # the rows where money moves (kind > 0)
    flow: np.ndarray  # per move, money in (+) or out (-)

    def clients(self) -> np.ndarray:
        """The clients with rows, ascending."""
        return self.client[_group_starts(self.client)]

    def at(self, client: np.ndarray, day: np.ndarray, start: int) -> np.ndarray:
        """Balance in force on `day` (0 before the client's first row)."""
        j = np.searchsorted(self.key, client * _K + (day - start), side="right") - 1
        ok = (j >= 0) & (self.client[np.maximum(j, 0)] == client)
        return np.where(ok, self.balance[np.maximum(j, 0)], 0.0)

    def integral(self, client: np.ndarray, day: np.ndarray, start: int) -> np.ndarray:
        """Sum of the daily balance over the days before `day` (each row holds until the next)."""
        nxt = np.append(self.day[1:], 0)
        same = np.append(self.client[1:] == self.client[:-1], False)
        seg = np.where(same, self.balance * (nxt - self.day), 0.0)
        cum = _grouped_exclusive_cumsum(seg, self.client)
        j = np.searchsorted(self.key, client * _K + (day - start), side="left") - 1
        jj = np.maximum(j, 0)
        ok = (j >= 0) & (self.client[jj] == client)
        return np.where(ok, cum[jj] + self.balance[jj] * (day - self.day[jj]), 0.0)


def _group_starts(client: np.ndarray) -> np.ndarray:
    return np.concatenate([[True], client[1:] != client[:-1]]) if client.size else client.astype(
        bool)


def _grouped_exclusive_cumsum(values: np.ndarray, client: np.ndarray) -> np.ndarray:
    if not values.size:
        return values
    cs = np.cumsum(values)
    starts = np.flatnonzero(_group_starts(client))
    sizes = np.diff(np.append(starts, values.size))
    base = np.repeat(cs[starts] - values[starts], sizes)
    return cs - values - base


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner and position of each element of concatenated groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + np.floor(rng.random(lo.size) * (hi - lo + 1)).astype(np.int64)


def _make_balances(
    rng: np.random.Generator, cl: _Clients, port: _Portfolio, cal: _Calendar
) -> _Balances:
    n = cl.n
    idx = np.arange(n)
    new = cl.open >= cal.start
    first = np.where(new, _roll_forward(cl.open + rng.integers(0, 8, n)), cal.start)
    stop = np.minimum(cl.close, cal.end)
    dormant = (rng.random(n) < 0.02) & (cl.close > cal.end)
    dormant[:_HEAD] = False
    dormant[port.mismatch] = False
    d_lo = np.maximum(first + 60, cal.year_start)
    zero = np.where(dormant & (d_lo < cal.end - 10), _uniform_days(rng, d_lo, cal.end - 10), _BIG)
    stop = np.minimum(stop, zero)
    to_zero = (cl.close <= cal.end) | (zero < _BIG)  # the last row is a balance of 0
    active = cl.funded & np.where(to_zero, first < stop, first <= stop)
    active[_edge_index(*_ASSET_EDGES)] = False  # their rows are set by hand

    parts_c, parts_d, parts_k = [idx[active]], [first[active]], [np.where(new, 3, 0)[active]]
    weekly = rng.random(n) < 0.06
    for grid, sel in ((cal.month_ends, active & ~weekly), (cal.fridays, active & weekly)):
        who = idx[sel]
        lo = np.searchsorted(grid, first[sel], side="right")
        hi = np.searchsorted(grid, stop[sel], side="right")
        owner, within = _ragged(hi - lo)
        parts_c.append(who[owner])
        parts_d.append(grid[lo[owner] + within])
        parts_k.append(np.zeros(owner.size, dtype=np.int64))
    # flows in and out, from the start of last year
    e_lo = np.maximum(first + 1, cal.year_start)
    e_hi = np.where(to_zero, stop - 1, stop)
    span = np.maximum(e_hi - e_lo + 1, 0)
    per_year = np.clip(0.4 + 0.5 * np.log10(cl.wealth / 1e4), 0.2, 3.0)
    count = np.where(active, rng.poisson(per_year * span / 365), 0)
    owner, _ = _ragged(count)
    ev_day = _roll_forward(_uniform_days(rng, e_lo[owner], e_hi[owner]))
    keep = ev_day <= e_hi[owner]
    parts_c.append(owner[keep])
    parts_d.append(ev_day[keep])
    parts_k.append(np.ones(int(keep.sum()), dtype=np.int64))
    # the forced high-risk purchase of the suitability mismatches
    mm = port.mismatch
    m_lo = np.maximum(first[mm] + 1, cal.on(0, 2, 1))
    parts_c.append(mm)
    parts_d.append(_roll_forward(_uniform_days(rng, m_lo, np.full(mm.size, cal.on(0, 11, 30)))))
    parts_k.append(np.full(mm.size, 4))
    closing = idx[active & to_zero]
    parts_c.append(closing)
    parts_d.append(stop[closing])
    parts_k.append(np.full(closing.size, 2))

    edge_rows = [(k - 1, day, b, kd) for k, rows in _edge_balances(cal).items()
                 for day, b, kd in rows if day <= cal.end]
    e_client, e_day, e_bal, e_kind = (np.array(col) for col in zip(*edge_rows, strict=True))
    parts_c.append(e_client)
    parts_d.append(e_day)
    parts_k.append(e_kind)

    packed = np.concatenate(parts_c, dtype=np.int64)
    packed *= _K
    packed += np.concatenate(parts_d, dtype=np.int64)
    packed -= cal.start
    packed *= 8
    packed += np.concatenate(parts_k, dtype=np.int64)
    packed.sort()
    key = packed >> 3
    last_of_day = np.append(key[1:] != key[:-1], True)  # the highest kind of a day wins
    if not last_of_day.all():
        packed, key = packed[last_of_day], key[last_of_day]
    kind = (packed & 7).astype(np.int8)
    del packed
    c = key // _K
    d = key % _K + cal.start

    # values: a random walk in logs per client, with jumps where money moves
    m = c.size
    first_rows = np.flatnonzero(_group_starts(c))
    sizes = np.diff(np.append(first_rows, m))
    dt = np.diff(d, prepend=d[:1]).astype(np.float64) / 365  # years since the previous row
    dt[first_rows] = 0.0
    z = rng.standard_normal(m)
    inc = np.sqrt(dt)
    inc *= z
    inc *= port.sigma[c]
    dt *= (port.mu - port.sigma**2 / 2)[c]
    inc += dt
    del dt
    moves = np.flatnonzero(kind > 0)
    mk = kind[moves]
    buy = rng.random(moves.size) < 0.55
    jump = np.where(buy, np.log(rng.uniform(1.1, 1.8, moves.size)),
                    np.log(rng.uniform(0.4, 0.9, moves.size)))
    jump = np.select([mk == 1, mk == 4], [jump, np.log(rng.uniform(1.25, 1.6, moves.size))], 0.0)
    inc[moves] += jump
    inc[first_rows] = np.log(cl.wealth[c[first_rows]]) + 0.05 * z[first_rows]
    del z
    log_b = np.cumsum(inc)
    log_b -= np.repeat(log_b[first_rows] - inc[first_rows], sizes)
    del inc
    pre = np.exp(log_b[moves] - jump)
    bal = np.exp(log_b, out=log_b)
    np.round(bal, 2, out=bal)
    bal[moves[mk == 2]] = 0.0
    flow = np.select([mk == 3, mk == 2], [bal[moves], -pre], bal[moves] - pre)

    # the hand-made clients' rows take their set values
    edge_pos = np.flatnonzero(np.isin(c[: int(np.searchsorted(c, _HEAD))], np.unique(e_client)))
    bal[edge_pos] = e_bal
    prev = np.where(_group_starts(e_client), 0.0, np.append(0.0, e_bal[:-1]))
    e_flow = np.select([e_kind == 1, e_kind == 2], [e_bal - prev, -prev], 0.0)
    flow[np.searchsorted(moves, edge_pos[e_kind > 0])] = e_flow[e_kind > 0]

    # change-only: drop a valuation row that repeats the previous balance
    same = np.flatnonzero(bal[1:] == bal[:-1]) + 1
    same = same[(kind[same] == 0) & (c[same] == c[same - 1])]
    if same.size:
        keep = np.ones(m, dtype=bool)
        keep[same] = False
        moves = (np.cumsum(keep) - 1)[moves]
        c, d, bal, kind, key = c[keep], d[keep], bal[keep], kind[keep], key[keep]
    return _Balances(c, d, bal, kind, key, moves, flow)


def _edge_balances(cal: _Calendar) -> dict[int, list[tuple[int, float, int]]]:
    s, on = cal.start, cal.on
    return {
        5: [(s, 4_600_000, 0), (on(-1, 11, 15), 5_000_000, 1), (on(1, 2, 10), 4_800_000, 1),
            (on(1, 6, 30), 4_750_000, 0)],
        10: [(s, 480_000, 0), (on(-1, 12, 2), 500_000, 1), (on(1, 4, 20), 495_000, 1)],
        15: [(s, 95_000, 0), (on(-1, 11, 29), 100_000, 1), (on(1, 5, 6), 98_000, 1)],
        20: [(s, 2_800_000, 0), (on(0, 6, 30), 3_100_000, 0), (on(1, 1, 8), 6_800_000, 1),
             (on(1, 6, 30), 7_050_000, 0)],
        25: [(s, 7_200_000, 0), (on(0, 4, 30), 7_400_000, 0), (on(0, 10, 31), 6_900_000, 0),
             (on(1, 1, 15), 1_500_000, 1), (on(1, 7, 31), 1_520_000, 0)],
        30: [(s, 295_000, 0), (on(0, 3, 31), 300_000, 0), (on(0, 9, 30), 310_000, 0),
             (on(1, 3, 31), 305_000, 0)],
        31: [(s, 440_000, 0), (on(0, 6, 30), 455_000, 0), (on(1, 6, 30), 460_000, 0)],
        32: [(s, 2_550_000, 0), (on(0, 5, 31), 2_620_000, 0), (on(1, 2, 27), 2_580_000, 0)],
        35: [(s, 3_700_000, 0), (on(0, 3, 31), 3_800_000, 0), (on(0, 9, 30), 3_850_000, 0),
             (on(1, 3, 31), 3_900_000, 0)],
        40: [(s, 640_000, 0), (on(0, 6, 30), 655_000, 0), (on(1, 6, 30), 660_000, 0)],
        45: [(s, 2_950_000, 0), (on(0, 6, 30), 3_050_000, 0), (on(1, 6, 30), 3_020_000, 0)],
        50: [(s, 820_000, 0), (on(0, 6, 30), 845_000, 0), (on(1, 3, 13), 0, 2),
             (on(1, 4, 10), 1_234.56, 0)],
        51: [(s, 150_000, 0), (on(0, 6, 30), 0, 2), (on(0, 7, 15), 86.20, 0)],
    }


# --------------------------------------------------------------------------- fees


_FEE_EDGES: dict[int, tuple[float, dict[tuple[int, int, int], float],
                            list[tuple[tuple[int, int, int], float]]]] = {
    30: (3_000.0, {}, []),
    31: (6_250.0, {}, []),
    32: (12_500.0, {(0, 3, 31): 12_499.99}, []),
    40: (2_500.0, {}, []),
    45: (12_500.0, {(0, 3, 31): 13_000.0}, [((0, 4, 15), -500.0)]),
}
_RATE_EDGES = {5: 0.0016, 20: 0.003, 25: 0.0012, 35: 0.018, 10: 0.01, 15: 0.01}
_FEE_TYPES = {"management": 0, "performance": 1, "subscription": 2, "redemption": 3, "other": 4}


def _make_fees(
    rng: np.random.Generator, cl: _Clients, port: _Portfolio, bal: _Balances,
    tx: _Trades, prod: _Products, cal: _Calendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rate = port.rate.copy()
    for k, r in _RATE_EDGES.items():
        rate[k - 1] = r
    who = bal.clients()
    first_day = bal.day[_group_starts(bal.client)]
    generic = ~np.isin(who, np.array(sorted(_FEE_EDGES)) - 1)
    who, first_day = who[generic], first_day[generic]
    q = cal.quarter_ends.size
    cc = np.repeat(who, q)
    qs = np.tile(cal.quarter_starts, who.size)
    qe = np.tile(cal.quarter_ends, who.size)
    both = bal.integral(np.concatenate([cc, cc]), np.concatenate([qe + 1, qs]), cal.start)
    days_sum = both[: cc.size] - both[cc.size:]
    amount = np.round(rate[cc] * days_sum / 365, 2)
    keep = amount >= 0.01
    parts = [(cc[keep], qe[keep], np.zeros(int(keep.sum()), np.int64), amount[keep])]

    rows = []
    for k, (default, special, extra) in _FEE_EDGES.items():
        for e in cal.quarter_ends:
            when = date(1970, 1, 1) + timedelta(days=int(e))
            rows.append((k - 1, int(e), special.get((when.year - cal.year, when.month,
                                                     when.day), default)))
        rows.extend((k - 1, cal.on(*when), value) for when, value in extra)
    parts.append((np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                  np.zeros(len(rows), np.int64), np.array([r[2] for r in rows])))

    # reversals: part or all of a management charge taken back a few days later
    mc, md, _, ma = parts[0]
    can = (mc >= _HEAD) & (md <= cal.end - 20)
    k = max(3, round(cl.n * 0.002))
    pick = np.sort(rng.choice(np.flatnonzero(can), size=min(k, int(can.sum())), replace=False))
    frac = np.where(rng.random(pick.size) < 0.4, 1.0, rng.uniform(0.05, 0.5, pick.size))
    parts.append((mc[pick], md[pick] + rng.integers(3, 21, pick.size),
                  np.zeros(pick.size, np.int64), -np.round(ma[pick] * frac, 2)))

    buys = (tx.side <= 1) & (rng.random(tx.client.size) < 0.5)
    parts.append((tx.client[buys], tx.day[buys], np.full(int(buys.sum()), 2),
                  np.round(tx.amount[buys] * rng.uniform(0.005, 0.012, tx.client.size)[buys], 2)))
    red = (tx.side == 2) & (rng.random(tx.client.size) < 0.35)
    parts.append((tx.client[red], tx.day[red], np.full(int(red.sum()), 3),
                  np.round(tx.amount[red] * 0.005, 2)))
    perf = (tx.side == 2) & (prod.perf[tx.product] > 0) & (rng.random(tx.client.size) < 0.3)
    gain = rng.uniform(0.01, 0.12, tx.client.size)
    parts.append((tx.client[perf], tx.day[perf], np.full(int(perf.sum()), 1),
                  np.round(tx.amount[perf] * prod.perf[tx.product[perf]] * gain[perf], 2)))
    # year-end crystallisation of performance fees for some holders
    ye = cal.on(0, 12, 31)
    main = port.slots[who, 0]
    yb = bal.at(who, np.full(who.size, ye), cal.start)
    crys = (yb > 0) & (prod.perf[main] > 0) & (rng.random(who.size) < 0.08) & (who >= _HEAD)
    parts.append((who[crys], np.full(int(crys.sum()), ye), np.ones(int(crys.sum()), np.int64),
                  np.round(yb[crys] * prod.perf[main[crys]] * rng.uniform(0.005, 0.05,
                                                                          who.size)[crys], 2)))
    other = (rng.random(who.size) < 0.01) & (who >= _HEAD)
    parts.append((who[other], _uniform_days(rng, np.maximum(first_day, cal.year_start),
                                            np.full(who.size, cal.end))[other],
                  np.full(int(other.sum()), 4), np.round(rng.uniform(50, 800, who.size)[other])))

    c = np.concatenate([p[0] for p in parts]).astype(np.int64)
    d = np.concatenate([p[1] for p in parts]).astype(np.int64)
    t = np.concatenate([p[2] for p in parts]).astype(np.int64)
    a = np.concatenate([p[3] for p in parts]).astype(np.float64)
    keep = (np.abs(a) >= 0.01) & (d <= cal.end)
    c, d, t, a = c[keep], d[keep], t[keep], a[keep]
    order = np.lexsort((t, d, c))
    return c[order], d[order], t[order], a[order]


# --------------------------------------------------------------------------- transactions

_SIDES = ("subscribe", "purchase", "redeem", "dividend")


@dataclass(frozen=True)
class _Trades:
    client: np.ndarray
    day: np.ndarray
    product: np.ndarray
    side: np.ndarray  # index into _SIDES
    amount: np.ndarray
    warning: np.ndarray  # bool
    warning_known: np.ndarray  # bool: warning_signed is not missing
    unit_nav: np.ndarray  # NaN for dividends


def _make_trades(
    rng: np.random.Generator, cl: _Clients, port: _Portfolio,
    bal: _Balances, prod: _Products, cal: _Calendar,
) -> _Trades:
    rows = bal.moves
    sel = (bal.day[rows] >= cal.year_start) & (bal.day[rows] <= cal.end)
    sel &= np.abs(bal.flow) >= 0.01
    rows = rows[sel]
    c, d, kind, flow = bal.client[rows], bal.day[rows], bal.kind[rows], bal.flow[sel]

    single = (kind == 1) | (kind == 4)  # one product; first fundings and closings: all held
    sc, sd, sk, sf = c[single], d[single], kind[single], flow[single]
    cum = np.cumsum(port.weights[sc], axis=1)
    pick = (rng.random(sc.size)[:, None] > cum).sum(axis=1)
    pick = np.minimum(pick, (port.slots[sc] >= 0).sum(axis=1) - 1)  # slots are contiguous
    slot_of = np.zeros(cl.n, dtype=np.int64)
    slot_of[port.mismatch] = port.risky_slot
    pick = np.where(sk == 4, slot_of[sc], pick)
    product = port.slots[sc, pick]
    side = np.where(sf > 0, 1, 2)
    warn = np.zeros(cl.n, dtype=bool)
    warn[port.mismatch] = port.warning
    # every buy of the high-risk product records whether the special risk warning was signed
    risky = np.full(cl.n, -1, dtype=np.int64)
    risky[port.mismatch] = port.slots[port.mismatch, port.risky_slot]
    w_known = (product == risky[sc]) & (side <= 1)
    w_value = warn[sc] & w_known

    # first fundings (subscriptions) and full redemptions: one row per product held
    fc, fd, ff = c[~single], d[~single], flow[~single]
    present = port.slots[fc] >= 0
    owner, _ = np.nonzero(present)
    f_prod = port.slots[fc][present]
    f_amt = ff[owner] * port.weights[fc][present]
    f_side = np.where(kind[~single][owner] == 3, 0, 2)

    # cash dividends paid to holders of the products that paid one
    dv_c, dv_d, dv_p, dv_a = [], [], [], []
    for p, week, r in zip(prod.div_product, prod.div_week, prod.div_rate, strict=True):
        day = int(cal.fridays[week])
        if not cal.year_start <= day <= cal.end:
            continue
        holds = np.flatnonzero((port.slots == p).any(axis=1))
        b = bal.at(holds, np.full(holds.size, day), cal.start)
        w = (port.weights[holds] * (port.slots[holds] == p)).sum(axis=1)
        amt = np.round(b * w * r, 2)
        ok = amt >= 0.01
        dv_c.append(holds[ok])
        dv_d.append(np.full(int(ok.sum()), day))
        dv_p.append(np.full(int(ok.sum()), p))
        dv_a.append(amt[ok])

    client = np.concatenate([sc, fc[owner], *dv_c]).astype(np.int64)
    day = np.concatenate([sd, fd[owner], *dv_d]).astype(np.int64)
    prod_i = np.concatenate([product, f_prod, *dv_p]).astype(np.int64)
    n_div = client.size - sc.size - owner.size
    side_i = np.concatenate([side, f_side, np.full(n_div, 3)])
    amount = np.round(np.abs(np.concatenate([sf, f_amt, *dv_a])), 2)
    known = np.concatenate([w_known, np.zeros(owner.size + n_div, dtype=bool)])
    value = np.concatenate([w_value, np.zeros(owner.size + n_div, dtype=bool)])
    week = np.maximum(np.searchsorted(cal.fridays, day, side="right") - 1, 0)
    unit = np.where(side_i == 3, np.nan, prod.nav[prod_i, week])
    keep = amount >= 0.01
    order = np.lexsort((side_i[keep], day[keep], client[keep]))
    return _Trades(*(a[keep][order] for a in (client, day, prod_i, side_i, amount, value,
                                                 known, unit)))


# --------------------------------------------------------------------------- managers


@dataclass(frozen=True)
class _Managers:
    branch: np.ndarray
    role: np.ndarray  # 0 account manager, 1 sales manager
    capacity: np.ndarray
    per_day: np.ndarray
    active: np.ndarray
    names: np.ndarray
    emails: np.ndarray
    client_manager: np.ndarray  # per client, manager index or -1


def _make_managers(rng: np.random.Generator, cl: _Clients, cal: _Calendar) -> _Managers:
    core_like = (cl.wealth >= 5e5) & cl.funded & (cl.close > cal.ref)
    per_branch = np.bincount(cl.branch[core_like], minlength=len(BRANCHES))
    n_am = np.maximum(2, np.ceil(per_branch / 60).astype(np.int64))
    n_sm = np.maximum(1, np.ceil(n_am / 4).astype(np.int64))
    branch = np.repeat(np.arange(len(BRANCHES)), n_am + n_sm)
    role = np.concatenate([np.repeat([0, 1], [a, s]) for a, s in zip(n_am, n_sm, strict=True)])
    m = branch.size
    am_off = np.cumsum(n_am + n_sm) - (n_am + n_sm)
    sm_off = am_off + n_am
    capacity = rng.integers(4, 13, m) * 10.0
    per_day = rng.integers(2, 5, m).astype(np.float64)
    active = np.ones(m, dtype=bool)
    ams = np.flatnonzero(role == 0)
    active[np.sort(rng.choice(ams, size=max(2, round(m * 0.02)), replace=False))] = False
    names, pinyin = _person_names(rng, m)
    emails = np.strings.add(np.strings.add(pinyin, _digits(np.arange(1, m + 1), 4)),
                            "@fund.example.com")

    n = cl.n
    b = cl.branch
    u = rng.random(n)
    to_am = am_off[b] + np.floor(rng.random(n) * n_am[b]).astype(np.int64)
    to_sm = sm_off[b] + np.floor(rng.random(n) * n_sm[b]).astype(np.int64)
    potential = (cl.wealth >= 1e5) & (cl.wealth < 5e5)
    manager = np.select(
        [cl.wealth >= 5e5, potential, cl.funded],
        [np.where(u < 0.92, to_am, -1),
         np.where(u < 0.45 * 0.3, to_am, np.where(u < 0.45, to_sm, -1)),
         np.where(u < 0.08, to_sm, -1)],
        -1,
    )
    edge = np.array(sorted(_EDGE_WEALTH)) - 1
    manager[edge] = np.where(cl.wealth[edge] >= 1e5, to_am[edge], to_sm[edge])
    return _Managers(branch, role, capacity, per_day, active, names, emails, manager)


# --------------------------------------------------------------------------- visits & rest


def _make_visits(
    rng: np.random.Generator, cl: _Clients, mg: _Managers, cal: _Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lo = np.maximum(cl.open, cal.ref - 364)
    hi = np.minimum(cl.close, cal.end)
    per_year = np.select([cl.wealth > 5e6, cl.wealth >= 5e5, cl.wealth >= 1e5], [6.0, 3.0, 1.2],
                         0.4)
    ok = (mg.client_manager >= 0) & (hi >= lo)
    count = np.where(ok, rng.poisson(per_year * np.maximum(hi - lo + 1, 0) / 365), 0)
    owner, _ = _ragged(count)
    day = _roll_forward(_uniform_days(rng, lo[owner], hi[owner]))
    manager = mg.client_manager[owner]
    big = cl.wealth[owner] >= 5e5
    p = np.where(big[:, None], [[0.45, 0.35, 0.12, 0.08]], [[0.2, 0.5, 0.2, 0.1]])
    kind = np.minimum((rng.random(owner.size)[:, None] > np.cumsum(p, axis=1)).sum(axis=1), 3)
    keep = (day <= hi[owner]) & (mg.active[manager] | (day <= cal.ref - 90))
    order = np.lexsort((day[keep], owner[keep]))
    return owner[keep][order], manager[keep][order], day[keep][order], kind[keep][order]


def _level_of(wealth: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([1e5, 5e5, 5e6]), wealth, side="right")


def _make_overrides(
    rng: np.random.Generator, cl: _Clients, mg: _Managers, cal: _Calendar
) -> dict[str, np.ndarray]:
    can = (cl.open <= cal.ref - 120) & (cl.close > cal.ref) & (mg.client_manager >= 0)
    can[:_HEAD] = False
    pool = np.flatnonzero(can)
    who = np.sort(rng.choice(pool, size=min(max(3, round(cl.n * 0.002)), pool.size),
                             replace=False))
    k = who.size
    level = _level_of(cl.wealth[who])
    up = ((rng.random(k) < 0.75) & (level < 3)) | (level == 0)
    value = np.where(up, np.minimum(level + rng.integers(1, 3, k), 3), level - 1)
    reason = np.where(up, np.array(_REASONS_UP, dtype=_S)[rng.integers(0, len(_REASONS_UP), k)],
                      np.array(_REASONS_DOWN, dtype=_S)[rng.integers(0, len(_REASONS_DOWN), k)])
    start = _roll_forward(
        _uniform_days(rng, np.maximum(cl.open[who] + 30, cal.on(0, 1, 15)),
                      np.full(k, cal.ref - 10)))
    ends = rng.random(k) < 0.35
    stop = np.where(ends, start + rng.integers(120, 500, k), -_BIG)
    approver = np.array(_APPROVERS, dtype=_S)[rng.integers(0, len(_APPROVERS), k)]
    e = _one("override_ended_then_new")
    return {
        "client": np.concatenate([[e, e], who]),
        "value": np.concatenate([np.array(["vip", "core"], dtype=_S),
                                 np.array(LEVELS, dtype=_S)[value]]),
        "reason": np.concatenate([np.array([_REASONS_UP[3], _REASONS_UP[0]], dtype=_S), reason]),
        "approved_by": np.concatenate([np.array(_APPROVERS[:2], dtype=_S), approver]),
        "start": np.concatenate([[cal.on(0, 2, 3), cal.on(1, 2, 2)], start]),
        "stop": np.concatenate([[cal.on(0, 12, 31), -_BIG], stop]),
    }


# --------------------------------------------------------------------------- frames


def _text(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    s = pd.Series(np.asarray(values, dtype=_S), dtype="str")
    return s.where(~missing) if missing is not None else s


def _ids(labels: np.ndarray, index: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """labels[index] as a string column, via a dictionary array (fast for many rows)."""
    dictionary = pa.array(np.asarray(labels, dtype=object), type=pa.string())
    codes = pa.array(np.asarray(index, dtype=np.int32), mask=missing)
    taken = pa.DictionaryArray.from_arrays(codes, dictionary).cast(pa.string())
    return pd.Series(taken, dtype="str")


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    ns = np.asarray(days, dtype=np.int64) * np.int64(86_400 * 10**9)
    if valid is not None:
        ns = np.where(valid, ns, np.iinfo(np.int64).min)  # NaT
    return pd.Series(ns.view("datetime64[ns]"))


def _bools(values: np.ndarray, known: np.ndarray | None = None) -> pd.Series:
    values = np.asarray(values, dtype=bool)
    mask = np.zeros(values.size, dtype=bool) if known is None else ~np.asarray(known, dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(values, mask))


def _floats(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.float64))


def _frame(table: str, data: dict[str, pd.Series]) -> pd.DataFrame:
    named = columns(table)
    patterns = list(pattern_columns(table))
    missing = [c for c, required in named.items() if required and c not in data]
    unknown = [c for c in data if c not in named
               and not any(re.search(p, c) for p in patterns)]
    if missing or unknown:
        raise AssertionError(f"{table}: missing {missing}, unknown {unknown}")
    order = [c for c in named if c in data] + [c for c in data if c not in named]
    return pd.DataFrame({c: data[c] for c in order})


# --------------------------------------------------------------------------- public API


def generate_sample(
    n_clients: int = 2000,
    seed: int = DEFAULT_SEED,
    *,
    questionnaire: Mapping[str, Mapping[str, float]],
    end: date = SAMPLE_END,
) -> dict[str, pd.DataFrame]:
    """Every input table of SPEC 3 for `n_clients` clients, the same for the same seed.

    questionnaire: question id -> {option letter: points}, as in the questionnaire file.
    end: the export date; every dated row is on or before it. The deliberate edge cases
    (EDGE_CASES) are dated relative to the last quarter end before it.
    """
    if n_clients < MIN_CLIENTS:
        raise ValueError(f"n_clients must be at least {MIN_CLIENTS}")
    rng = np.random.default_rng(seed)
    cal = _Calendar.at(end)
    quiz = _Quiz.of(questionnaire)
    prod = _make_products(rng, cal)
    cl = _make_clients(rng, n_clients, cal)
    details = _client_details(rng, cl)
    ra = _make_assessments(rng, cl, cal, quiz)
    port = _make_portfolio(rng, cl, ra, prod, cal)
    bal = _make_balances(rng, cl, port, cal)
    tx = _make_trades(rng, cl, port, bal, prod, cal)
    fees = _make_fees(rng, cl, port, bal, tx, prod, cal)
    mg = _make_managers(rng, cl, cal)
    visits = _make_visits(rng, cl, mg, cal)
    ov = _make_overrides(rng, cl, mg, cal)

    n = n_clients
    client_ids = np.strings.add("C", _digits(np.arange(1, n + 1), max(6, len(str(n)))))
    manager_ids = np.strings.add("M", _digits(np.arange(1, mg.branch.size + 1), 4))
    branches = np.array(BRANCHES, dtype=_S)

    # recorded category: for most assessed clients, the band of the latest signed assessment
    # up to the reference date (so a run as of that date finds only the deliberate mismatches),
    # or after it for clients first assessed since
    band = _band(np.nan_to_num(ra.signed_score))
    assessed = ~np.isnan(ra.signed_score)
    recorded = assessed & (rng.random(n) < 0.92)
    edge = np.array(sorted(_EDGE_WEALTH)) - 1
    recorded[edge] = assessed[edge]
    wrong = _edge_index("recorded_category_disagrees")
    band[wrong] = (band[wrong] + 1) % len(RISK_BANDS)
    category_names = np.array([b[0] for b in RISK_BANDS], dtype=_S)

    has_manager = mg.client_manager >= 0
    tables: dict[str, pd.DataFrame] = {}
    tables["clients"] = _frame("clients", {
        "client_id": _text(client_ids),
        "name": details["name"],
        "client_type": _ids(np.array(["individual", "institution"]), cl.inst),
        "open_date": _dates(cl.open),
        "close_date": _dates(cl.close, cl.close < _BIG),
        "birth_date": _dates(cl.birth, ~cl.inst),
        "branch": _ids(branches, cl.branch),
        "manager_id": _ids(manager_ids, np.maximum(mg.client_manager, 0), ~has_manager),
        "investor_type": _ids(np.array(["ordinary", "professional"]), cl.professional),
        "phone": details["phone"],
        "email": details["email"],
        "recorded_category": _ids(category_names, band, ~recorded),
    })
    answers = {
        qid: _ids(quiz.letters[j], ra.options[:, j]) for j, qid in enumerate(quiz.ids)
    }
    tables["risk_assessments"] = _frame("risk_assessments", {
        "client_id": _ids(client_ids, ra.client),
        "assessment_date": _dates(ra.day),
        "score": _floats(ra.score),
        "signed": _bools(ra.signed),
        **answers,
    })
    tables["daily_assets"] = _frame("daily_assets", {
        "client_id": _ids(client_ids, bal.client),
        "date": _dates(bal.day),
        "total_assets": _floats(bal.balance),
    })
    fc, fd, ft, fa = fees
    tables["fees"] = _frame("fees", {
        "client_id": _ids(client_ids, fc),
        "date": _dates(fd),
        "fee_type": _ids(np.array(list(_FEE_TYPES), dtype=_S), ft),
        "amount": _floats(fa),
    })
    tables["transactions"] = _frame("transactions", {
        "client_id": _ids(client_ids, tx.client),
        "trade_date": _dates(tx.day),
        "product_id": _ids(prod.ids, tx.product),
        "side": _ids(np.array(_SIDES, dtype=_S), tx.side),
        "amount": _floats(tx.amount),
        "warning_signed": _bools(tx.warning, tx.warning_known),
        "shares": _floats(np.round(tx.amount / tx.unit_nav, 2)),
        "unit_nav": _floats(tx.unit_nav),
    })
    tables["products"] = _frame("products", {
        "product_id": _text(prod.ids),
        "name": _text(prod.names),
        "risk_level": _text(np.strings.add("R", _digits(prod.risk + 1))),
        "product_type": _text(prod.types),
        "management_fee_rate": _floats(prod.mgmt),
        "performance_fee_rate": _floats(prod.perf),
    })
    tables["holdings"] = _frame("holdings", _holdings(cl, port, bal, cal, client_ids, prod))
    tables["managers"] = _frame("managers", {
        "manager_id": _text(manager_ids),
        "name": _text(mg.names),
        "role": _text(np.array(["account_manager", "sales_manager"], dtype=_S)[mg.role]),
        "branch": _text(branches[mg.branch]),
        "capacity": _floats(mg.capacity),
        "max_visits_per_day": _floats(mg.per_day),
        "active": _bools(mg.active),
        "email": _text(mg.emails),
    })
    vc, vm, vd, vk = visits
    tables["visits"] = _frame("visits", {
        "client_id": _ids(client_ids, vc),
        "manager_id": _ids(manager_ids, vm),
        "visit_date": _dates(vd),
        "visit_type": _ids(np.array(["in_person", "phone", "online", "event"], dtype=_S), vk),
    })
    k = ov["client"].size
    tables["overrides"] = _frame("overrides", {
        "client_id": _ids(client_ids, ov["client"]),
        "field": _text(np.full(k, "level", dtype=_S)),
        "value": _text(ov["value"]),
        "reason": _text(ov["reason"]),
        "approved_by": _text(ov["approved_by"]),
        "effective_from": _dates(ov["start"]),
        "effective_to": _dates(ov["stop"], ov["stop"] > -_BIG),
    })
    p, weeks = prod.nav.shape
    tables["nav"] = _frame("nav", {
        "product_id": _ids(prod.ids, np.repeat(np.arange(p), weeks)),
        "date": _dates(np.tile(cal.fridays, p)),
        "unit_nav": _floats(prod.nav.ravel()),
        "accumulated_nav": _floats(prod.acc.ravel()),
    })
    surveyed = rng.random(n) < 0.75
    satisfaction = np.round(np.clip(rng.normal(4.1, 0.7, n), 1, 5), 1)
    referrals = rng.poisson(0.2 + 0.6 * (cl.wealth >= 5e5))
    tables["client_metrics"] = _frame("client_metrics", {
        "client_id": _text(client_ids),
        **dict(zip(METRICS, (_floats(np.where(surveyed, satisfaction, np.nan)),
                             _floats(referrals)), strict=True)),
    })
    return tables


def _holdings(
    cl: _Clients, port: _Portfolio, bal: _Balances, cal: _Calendar, client_ids: np.ndarray,
    prod: _Products,
) -> dict[str, pd.Series]:
    who = bal.clients()
    h = cal.holding_dates.size
    cc = np.repeat(who, h)
    hd = np.tile(cal.holding_dates, who.size)
    b = bal.at(cc, hd, cal.start)
    cc, hd, b = cc[b > 0], hd[b > 0], b[b > 0]
    slots, w = port.slots[cc], port.weights[cc]
    present = slots >= 0
    value = np.round(b[:, None] * w, 2)
    last = present.sum(axis=1) - 1
    rows = np.arange(cc.size)
    value[rows, last] = 0.0
    value[rows, last] = np.maximum(np.round(b - value.sum(axis=1), 2), 0.0)
    owner, col = np.nonzero(present)
    return {
        "client_id": _ids(client_ids, cc[owner]),
        "product_id": _ids(prod.ids, slots[owner, col]),
        "as_of_date": _dates(hd[owner]),
        "market_value": _floats(value[owner, col]),
    }


def write_sample(tables: Mapping[str, pd.DataFrame], out: Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table into `out`: <table>.csv (UTF-8 with BOM, dates YYYY-MM-DD,
    booleans true/false, money with 2 decimals) or <table>.parquet (pyarrow)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: csv or parquet")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, engine="pyarrow", index=False)
        else:
            _csv_ready(frame).to_csv(path, index=False, encoding="utf-8-sig",
                                     date_format="%Y-%m-%d", float_format="%.2f")
        paths.append(path)
    return paths


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as true/false; floats that 2 decimals would round (NAVs, rates, shares) as text
    with just enough decimals, so the CSV keeps the values."""
    out = {}
    for name, col in frame.items():
        if isinstance(col.dtype, pd.BooleanDtype):
            out[name] = col.map({True: "true", False: "false"}, na_action="ignore")
        elif pd.api.types.is_float_dtype(col.dtype):
            out[name] = _decimals(col)
        else:
            out[name] = col
    return pd.DataFrame(out)


def _decimals(col: pd.Series) -> pd.Series:
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    for places in (2, 3, 4, 5, 6):
        if np.allclose(np.round(finite, places), finite, rtol=0, atol=1e-9):
            break
    if places == 2:
        return col
    text = pd.Series(np.char.mod(f"%.{places}f", values), index=col.index, dtype="str")
    return text.where(np.isfinite(values))

