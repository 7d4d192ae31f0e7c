"""The clients: who they are (type, branch, account dates, birth date, wealth, risk appetite)
and what identifies them (Chinese names, phone numbers, e-mail addresses, resident ID numbers)
that look real, so that masking can be seen to work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tiering.sample.days import BIG, SampleCalendar, day, roll_back, uniform_days
from tiering.sample.edges import EDGE_CLIENTS, EDGE_WEALTH, edge_index, one
from tiering.sample.frames import STR, digits, join, text

BRANCHES = ("北京", "上海", "深圳", "广州", "杭州")

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


def _split(words: str) -> tuple[np.ndarray, np.ndarray]:
    """"王wang 李li …" -> the characters and their pinyin."""
    entries = words.split()
    han = np.array([e[0] for e in entries], dtype=STR)
    return han, np.array([e[1:] for e in entries], dtype=STR)


_SUR_HAN, _SUR_PY = _split(_SURNAMES)
_GIV_HAN, _GIV_PY = _split(_GIVEN)
_SUR_WEIGHTS = 1.0 / (np.arange(_SUR_HAN.size) + 4.0)
_SUR_WEIGHTS /= _SUR_WEIGHTS.sum()


def person_names(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Chinese names (surname + one or two characters) and their pinyin."""
    sur = rng.choice(_SUR_HAN.size, size=k, p=_SUR_WEIGHTS)
    g1 = rng.integers(0, _GIV_HAN.size, k)
    g2 = rng.integers(0, _GIV_HAN.size, k)
    two = (rng.random(k) < 0.7) & (g1 != g2)
    empty = np.array("", dtype=STR)
    name = join(_SUR_HAN[sur], _GIV_HAN[g1], np.where(two, _GIV_HAN[g2], empty))
    pinyin = join(_SUR_PY[sur], _GIV_PY[g1], np.where(two, _GIV_PY[g2], empty))
    return name, pinyin


def _institution_names(rng: np.random.Generator, branch: np.ndarray) -> np.ndarray:
    k = branch.size
    cities = np.array(BRANCHES + _OTHER_CITIES, dtype=STR)
    city = np.where(rng.random(k) < 0.75, branch, rng.integers(len(BRANCHES), cities.size, k))
    trade = np.array(_TRADE, dtype=STR)
    t1 = rng.integers(0, trade.size, k)
    t2 = (t1 + rng.integers(1, trade.size, k)) % trade.size
    suffix = np.array(_COMPANY, dtype=STR)[rng.integers(0, len(_COMPANY), k)]
    return join(cities[city], trade[t1], trade[t2], suffix)


# --------------------------------------------------------------------------- clients


@dataclass
class Clients:
    n: int
    inst: np.ndarray
    branch: np.ndarray
    open: np.ndarray
    close: np.ndarray  # BIG when open
    funded: np.ndarray
    wealth: np.ndarray  # target balance level
    birth: np.ndarray  # -BIG for institutions
    appetite: np.ndarray  # latent risk appetite in (0, 1)
    professional: np.ndarray


def make_clients(rng: np.random.Generator, n: int, cal: SampleCalendar) -> Clients:
    lo, hi = day(date(2015, 1, 1)), cal.end
    inst = rng.random(n) < 0.15
    branch = rng.choice(len(BRANCHES), size=n, p=[0.25, 0.3, 0.2, 0.12, 0.13])
    open_ = roll_back(lo + np.floor(rng.random(n) ** 0.75 * (hi - lo + 1)).astype(np.int64))
    closed = (rng.random(n) < 0.03) & (open_ < hi - 90)
    c_lo = np.maximum(open_ + 30, cal.start - 450)
    close = np.where(closed & (c_lo < hi), roll_back(uniform_days(rng, c_lo, hi)), BIG)
    close = np.where(close < open_ + 30, BIG, close)
    funded = rng.random(n) >= 0.04
    wealth = np.exp(rng.normal(10.75, 2.2, n) + np.where(inst, 1.2, 0.0))
    wealth = np.clip(wealth, 2000.0, 3e8)
    age = np.clip(rng.normal(44, 11, n), 18.3, 80)

    # the deliberate cases: known types, long-standing accounts, set balance levels
    edge = EDGE_CLIENTS
    inst[edge] = False
    inst[one("avg_last_year_exactly_5m")] = True  # an institution holding exactly 5,000,000
    open_[edge] = roll_back(day(date(2017, 1, 1)) + rng.integers(0, 5 * 365, edge.size))
    open_[edge] = np.minimum(open_[edge], cal.start - 60)
    close[edge] = BIG
    close[edge_index("balance_after_close")] = cal.on(1, 3, 13), cal.on(0, 6, 30)
    # relative to the reference date (2026-10-20, 2026-10-15 and 2026-05-17 by default)
    close[one("closed_after_reference_date")] = min(cal.ref + 20, cal.end)
    open_[one("opened_after_reference_date")] = min(cal.ref + 15, cal.end)
    ref_year = cal.on(1, 1, 1)
    open_[one("opened_this_year_before_reference_date")] = roll_back(
        np.int64(ref_year + (cal.ref - ref_year) // 2))
    funded[edge] = True
    wealth[edge] = [EDGE_WEALTH[k + 1] for k in edge]
    age[edge] = np.clip(age[edge], 30, 62)
    birth = np.where(inst, -BIG, open_ - np.floor(age * 365.25).astype(np.int64))

    level = np.log10(np.maximum(wealth, 1e3))
    z = rng.normal(0, 0.9, n) + 0.35 * (level - 5) - np.where(inst, -0.2, 0.025 * (age - 45))
    appetite = 1 / (1 + np.exp(-z))
    p_pro = np.where(inst, 0.35, np.where(wealth > 3e6, 0.25, 0.02))
    professional = rng.random(n) < p_pro
    professional[edge] = False
    return Clients(n, inst, branch, open_, close, funded, wealth, birth, appetite, professional)


def client_details(rng: np.random.Generator, cl: Clients) -> dict[str, pd.Series]:
    """Name, phone and e-mail columns: mobiles for individuals, branch landlines for
    institutions; some missing."""
    n = cl.n
    name, pinyin = person_names(rng, n)
    inst = np.flatnonzero(cl.inst)
    name[inst] = _institution_names(rng, cl.branch[inst])
    mobile = np.array(_MOBILE)[rng.integers(0, len(_MOBILE), n)] * 10**8 + rng.integers(
        0, 10**8, n)
    landline = join(np.array(_AREA_CODES, dtype=STR)[cl.branch], "-",
                    digits(rng.integers(5 * 10**7, 9 * 10**7, n)))
    phone = np.where(cl.inst, landline, digits(mobile))
    no_phone = rng.random(n) < np.where(cl.inst, 0.1, 0.03)
    handle = np.where(cl.inst, join("ir", digits(rng.integers(100, 10000, n))),
                      join(pinyin, digits(rng.integers(1, 1000, n))))
    email = join(handle, "@", np.array(_MAIL, dtype=STR)[rng.integers(0, len(_MAIL), n)])
    no_email = rng.random(n) >= np.where(cl.inst, 0.7, 0.35)
    return {
        "name": text(name),
        "phone": text(phone, missing=no_phone),
        "email": text(email, missing=no_email),
    }


# --------------------------------------------------------------------------- ID numbers

# Resident ID numbers (GB 11643-1999): region (6 digits), birth date (YYYYMMDD), sequence
# (3 digits, odd for men, even for women), check character. Regions: districts of each branch's
# city, by BRANCHES.
_REGIONS = (
    (110101, 110102, 110105, 110106, 110108),  # 北京: 东城 西城 朝阳 丰台 海淀
    (310101, 310104, 310105, 310106, 310115),  # 上海: 黄浦 徐汇 长宁 静安 浦东新区
    (440303, 440304, 440305, 440306, 440307),  # 深圳: 罗湖 福田 南山 宝安 龙岗
    (440103, 440104, 440105, 440106, 440111),  # 广州: 荔湾 越秀 海珠 天河 白云
    (330102, 330105, 330106, 330108, 330109),  # 杭州: 上城 拱墅 西湖 滨江 萧山
)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"), dtype=STR)  # by weighted digit sum mod 11
_ID_PLACES = 10 ** np.arange(16, -1, -1, dtype=np.int64)


def id_check_characters(body: np.ndarray) -> np.ndarray:
    """The GB 11643-1999 check character of each 17-digit ID body (given as an integer)."""
    body_digits = np.asarray(body, dtype=np.int64)[:, None] // _ID_PLACES % 10
    return _ID_CHECK[(body_digits @ _ID_WEIGHTS) % 11]


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    return (year * 100 + month.astype(np.int64) % 12 + 1) * 100 + (d - month).astype(np.int64) + 1


def id_numbers(rng: np.random.Generator, cl: Clients) -> pd.Series:
    """18-character resident ID numbers of the individuals, each unique; none for institutions.
    The region is a district of the branch's city; a clash moves the sequence on by 2."""
    who = np.flatnonzero(~cl.inst)
    k = who.size
    region = np.array(_REGIONS, dtype=np.int64)[cl.branch[who], rng.integers(0, 5, k)]
    male = rng.random(k) < 0.5
    sequence = 2 * rng.integers(1, 500, k) - male  # 1…997 odd for men, 2…998 even for women
    stem = region * 10**11 + _yyyymmdd(cl.birth[who]) * 1000
    for _ in range(500):  # the same region, birth date and sequence: the next of that parity
        _, first = np.unique(stem + sequence, return_index=True)
        again = np.ones(k, dtype=bool)
        again[first] = False
        if not again.any():
            break
        sequence[again] = np.where(sequence[again] > 997, sequence[again] - 996,
                                   sequence[again] + 2)
    else:
        raise AssertionError("too many clients share a region and a birth date")
    body = stem + sequence
    numbers = np.full(cl.n, "", dtype=STR)
    numbers[who] = join(digits(body, 17), id_check_characters(body))
    return text(numbers, missing=cl.inst)
