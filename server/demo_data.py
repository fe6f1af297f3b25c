"""Static data for the Dongguan demo: names, counts and texts, kept apart from the loader.

Real names are used only where they are known (the city, its 33 towns/streets/park, Chang'an's
13 communities, the city's departments). Everything else is plainly generated ("示例社区3",
"城管队员0012", "示例代表") so that nobody mistakes demo rows for real places or people.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.enums import DepartmentKind, TimeUnit, TownKind

CITY_CODE = "dongguan"
CITY_NAME = "东莞市"
CITY_NAME_EN = "Dongguan"

# Results reported by January 2022, which the demo reproduces exactly.
SERVICE_STATIONS_BUILT = 113
COMMUNITY_WORKSTATIONS_BUILT = 116
SERVICE_STATIONS_TARGET_2022 = 200


@dataclass(frozen=True)
class Town:
    slug: str
    name: str  # short Chinese name, e.g. 长安; the full name adds 街道 / 镇 / 园区
    name_en: str
    kind: TownKind
    communities: int  # generated communities; Chang'an uses its real list instead
    service_stations: int  # operating by January 2022
    workstations: int  # operating by January 2022, at most one per community
    planned_2022: int  # service stations planned or under construction for 2022
    # Approximate town-centre coordinates, only to place demo stations on a map.
    lat: float
    lon: float

    @property
    def full_name(self) -> str:
        return self.name + _KIND_SUFFIX[self.kind]

    @property
    def code(self) -> str:
        return f"{CITY_CODE}/{self.slug}"


_KIND_SUFFIX = {TownKind.STREET: "街道", TownKind.TOWN: "镇", TownKind.PARK: "园区"}

STREET, TOWN, PARK = TownKind.STREET, TownKind.TOWN, TownKind.PARK

# The community counts are a fixed demo spread (15–22 a town) chosen so that, with Chang'an's
# 13 real communities, the city has 612: close to Dongguan's "about 600".
TOWNS: tuple[Town, ...] = (
    # slug, name, name_en, kind, communities, service stations, workstations, planned, lat, lon
    Town("guancheng", "莞城", "Guancheng", STREET, 15, 3, 3, 6, 23.043, 113.751),
    Town("nancheng", "南城", "Nancheng", STREET, 20, 4, 4, 7, 23.015, 113.745),
    Town("dongcheng", "东城", "Dongcheng", STREET, 22, 4, 4, 7, 23.030, 113.780),
    Town("wanjiang", "万江", "Wanjiang", STREET, 20, 3, 4, 6, 23.050, 113.720),
    Town("shijie", "石碣", "Shijie", TOWN, 18, 3, 4, 6, 23.095, 113.800),
    Town("shilong", "石龙", "Shilong", TOWN, 16, 3, 4, 6, 23.100, 113.850),
    Town("chashan", "茶山", "Chashan", TOWN, 18, 3, 3, 6, 23.070, 113.870),
    Town("shipai", "石排", "Shipai", TOWN, 18, 3, 3, 6, 23.080, 113.930),
    Town("qishi", "企石", "Qishi", TOWN, 19, 3, 3, 6, 23.070, 114.020),
    Town("hengli", "横沥", "Hengli", TOWN, 17, 3, 3, 6, 23.030, 113.960),
    Town("qiaotou", "桥头", "Qiaotou", TOWN, 17, 3, 3, 6, 23.020, 114.090),
    Town("xiegang", "谢岗", "Xiegang", TOWN, 15, 3, 3, 6, 22.960, 114.140),
    Town("dongkeng", "东坑", "Dongkeng", TOWN, 16, 3, 3, 6, 22.990, 113.940),
    Town("changping", "常平", "Changping", TOWN, 22, 4, 4, 7, 22.980, 114.020),
    Town("liaobu", "寮步", "Liaobu", TOWN, 21, 4, 4, 6, 22.990, 113.860),
    Town("zhangmutou", "樟木头", "Zhangmutou", TOWN, 16, 3, 3, 6, 22.910, 114.080),
    Town("dalang", "大朗", "Dalang", TOWN, 22, 4, 4, 6, 22.940, 113.930),
    Town("huangjiang", "黄江", "Huangjiang", TOWN, 17, 3, 4, 6, 22.880, 113.990),
    Town("qingxi", "清溪", "Qingxi", TOWN, 21, 3, 4, 6, 22.840, 114.160),
    Town("tangxia", "塘厦", "Tangxia", TOWN, 22, 4, 4, 7, 22.800, 114.080),
    Town("fenggang", "凤岗", "Fenggang", TOWN, 19, 3, 4, 6, 22.740, 114.140),
    Town("dalingshan", "大岭山", "Dalingshan", TOWN, 21, 3, 3, 6, 22.900, 113.780),
    Town("changan", "长安", "Chang'an", TOWN, 13, 6, 5, 8, 22.815, 113.805),
    Town("humen", "虎门", "Humen", TOWN, 22, 6, 5, 8, 22.815, 113.670),
    Town("houjie", "厚街", "Houjie", TOWN, 22, 4, 4, 7, 22.940, 113.670),
    Town("shatian", "沙田", "Shatian", TOWN, 18, 3, 3, 6, 22.920, 113.610),
    Town("daojiao", "道滘", "Daojiao", TOWN, 18, 3, 3, 6, 23.000, 113.670),
    Town("hongmei", "洪梅", "Hongmei", TOWN, 16, 3, 3, 6, 23.000, 113.610),
    Town("machong", "麻涌", "Machong", TOWN, 17, 3, 3, 6, 23.050, 113.580),
    Town("wangniudun", "望牛墩", "Wangniudun", TOWN, 20, 3, 3, 6, 23.060, 113.650),
    Town("zhongtang", "中堂", "Zhongtang", TOWN, 20, 3, 3, 6, 23.090, 113.650),
    Town("gaobu", "高埗", "Gaobu", TOWN, 18, 3, 3, 6, 23.080, 113.740),
    Town("songshanlake", "松山湖", "Songshan Lake", PARK, 16, 4, 3, 7, 22.920, 113.890),
)

CHANGAN = "changan"
HUMEN = "humen"

# Chang'an's real communities: (Chinese name without 社区, pinyin, code slug).
CHANGAN_COMMUNITIES: tuple[tuple[str, str, str], ...] = (
    ("上角", "Shangjiao", "shangjiao"),
    ("厦边", "Xiabian", "xiabian"),
    ("厦岗", "Xiagang", "xiagang"),
    ("上沙", "Shangsha", "shangsha"),
    ("沙头", "Shatou", "shatou"),
    ("乌沙", "Wusha", "wusha"),
    ("锦厦", "Jinxia", "jinxia"),
    ("新民", "Xinmin", "xinmin"),
    ("上涌头", "Shangyongtou", "shangyongtou"),
    ("咸西", "Xianxi", "xianxi"),
    ("长盛", "Changsheng", "changsheng"),
    ("宵边", "Xiaobian", "xiaobian"),
    ("新安", "Xin'an", "xinan"),
)

XIAGANG = "xiagang"
SHATOU = "shatou"

# Towns whose first service station is a city-level demonstration station (市级示范点).
DEMONSTRATION_TOWNS = ("guancheng", "nancheng", "dongcheng", "humen", "houjie", "songshanlake")


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    name_en: str
    kind: DepartmentKind
    short_name: str  # used in generated liaison names, e.g. 交通运输局联络员03


CITY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "congress",
        "东莞市人大常委会",
        "Standing Committee of the Dongguan Municipal People's Congress",
        DepartmentKind.CONGRESS,
        "人大常委会",
    ),
    DepartmentSpec(
        "government",
        "东莞市人民政府",
        "Dongguan Municipal People's Government",
        DepartmentKind.GOVERNMENT,
        "市政府",
    ),
    DepartmentSpec(
        "bureau",
        "东莞市城市管理和综合执法局",
        "Dongguan City Management and Comprehensive Law Enforcement Bureau",
        DepartmentKind.BUREAU,
        "市城管局",
    ),
    # The "N" departments that extend services into the stations.
    DepartmentSpec(
        "market",
        "东莞市市场监督管理局",
        "Dongguan Administration for Market Regulation",
        DepartmentKind.DEPARTMENT,
        "市场监管局",
    ),
    DepartmentSpec(
        "housing",
        "东莞市住房和城乡建设局",
        "Dongguan Housing and Urban-Rural Development Bureau",
        DepartmentKind.DEPARTMENT,
        "住建局",
    ),
    DepartmentSpec(
        "ecology",
        "东莞市生态环境局",
        "Dongguan Ecology and Environment Bureau",
        DepartmentKind.DEPARTMENT,
        "生态环境局",
    ),
    DepartmentSpec(
        "transport",
        "东莞市交通运输局",
        "Dongguan Transport Bureau",
        DepartmentKind.DEPARTMENT,
        "交通运输局",
    ),
    DepartmentSpec(
        "publicsecurity",
        "东莞市公安局",
        "Dongguan Public Security Bureau",
        DepartmentKind.DEPARTMENT,
        "公安局",
    ),
)

# The government office of each kind of town: streets have a sub-district office, the park an
# administrative committee, towns a people's government.
TOWN_GOVERNMENT_NAMES: dict[TownKind, tuple[str, str]] = {
    TownKind.STREET: ("{name}街道办事处", "{name_en} Subdistrict Office"),
    TownKind.TOWN: ("{name}镇人民政府", "{name_en} Town People's Government"),
    TownKind.PARK: ("{name}园区管理委员会", "{name_en} Park Administrative Committee"),
}


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    name_en: str
    response_minutes: int
    resolution_minutes: int
    description: str  # a typical report, Chinese then English, for generated tickets
    # Counted on the work calendar: (response amount, unit, resolution amount, unit); None for the
    # street problems fixed on the spot, whose minutes run round the clock.
    working_times: tuple[int, TimeUnit, int, TimeUnit] | None = None


TICKET_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "occupying_road",
        "占道经营",
        "Occupying the road for business",
        30,
        120,
        "商铺占道经营 (shops occupying the road for business)",
    ),
    CategorySpec(
        "illegal_parking",
        "违规停车",
        "Illegal parking",
        30,
        60,
        "车辆违规停放，堵塞人行道 (vehicles parked illegally, blocking the pavement)",
    ),
    CategorySpec(
        "littering",
        "乱丢垃圾",
        "Littering",
        30,
        120,
        "路边乱丢垃圾 (litter dropped along the road)",
    ),
    CategorySpec(
        "garbage_overflow",
        "垃圾满溢",
        "Overflowing garbage bins",
        30,
        240,
        "垃圾桶满溢未及时清运 (garbage bins overflowing, not collected in time)",
    ),
    CategorySpec(
        "illegal_advertising",
        "乱张贴/违规广告",
        "Illegal posting and advertising",
        60,
        480,
        "墙面乱张贴小广告 (unauthorised flyers posted on walls)",
    ),
    CategorySpec(
        "illegal_construction",
        "违法建设",
        "Illegal construction",
        120,
        7 * 24 * 60,
        "疑似违法搭建 (suspected unauthorised structure)",
    ),
    CategorySpec(
        "noise",
        "噪音扰民",
        "Noise nuisance",
        30,
        240,
        "夜间噪音扰民 (noise disturbing residents at night)",
    ),
    CategorySpec(
        "damaged_facility",
        "市政设施损坏",
        "Damaged municipal facilities",
        60,
        24 * 60,
        "人行道井盖破损 (broken manhole cover on the pavement)",
    ),
    CategorySpec(
        "green_space",
        "绿化损毁",
        "Damaged green space",
        60,
        24 * 60,
        "绿化带被踩踏损毁 (green belt trampled and damaged)",
    ),
    CategorySpec(
        "hotline_referral",
        "12345热线转办",
        "Referred by the 12345 hotline",
        2 * 60,  # nominal: 2 working hours, 3 office days of 7.5 hours
        3 * 450,
        "12345热线转办事项 (a matter referred by the 12345 hotline)",
        (2, TimeUnit.WORKING_HOURS, 3, TimeUnit.WORKING_DAYS),  # "3个工作日内办结"
    ),
)

# Where the generated demo tickets happen: (town slug, community slug or None, how many).
# None means "communities of the town that have a station", taken in turn.
TICKET_PLACES: tuple[tuple[str, str | None, int], ...] = (
    (CHANGAN, XIAGANG, 6),
    (CHANGAN, SHATOU, 5),
    (CHANGAN, "shangjiao", 1),
    (CHANGAN, "jinxia", 1),
    (CHANGAN, "wusha", 1),
    (CHANGAN, "xinan", 1),
    (CHANGAN, "changsheng", 1),
    (CHANGAN, "shangsha", 1),
    (HUMEN, None, 6),
    ("houjie", None, 3),
    ("nancheng", None, 2),
    ("songshanlake", None, 2),
)

# Placeholder reporters: 市民甲, 市民乙 … (citizen A, B …), never real-sounding names.
HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"

DEPUTY_NAME = "示例代表"
DEPUTY_DELEGATION = "长安镇代表团"
SECOND_DEPUTY_NAME = "示例代表二"
SECOND_DEPUTY_DELEGATION = "虎门镇代表团"

PROPOSAL_NUMBER = "16-7-0001"
PROPOSAL_TITLE = "搭建城管与市民的'连心桥'：推动城市服务驿站和社区城管服务工作站建设"
PROPOSAL_SUMMARY = (
    "建议在人流密集的街道建设城市服务驿站，在每个村（社区）建设社区城管服务工作站，"
    "推行“1+N”模式：“1”是驿站本身，具备城市管理、服务咨询、指挥调度、党建阵地、"
    "普法宣传和休息饮水等功能；“N”是其他政府部门延伸进驻驿站的服务。"
    "市民可就近休息、反映问题，城管人员现场处置，做到“城管进一线，服务面对面”。\n\n"
    "Build city service stations in busy streets and a community city-management service "
    'workstation in every village or community, on a "1+N" model: "1" is the station itself '
    "(city management, service consultation, command and dispatch, party-building post, "
    'legal-education outreach, rest and drinking water); "N" are the services that other '
    "government departments extend into it. Citizens can rest and report problems nearby, and "
    'city management deals with them on the spot: "city management to the front line, service '
    'face to face".'
)
PROPOSAL_BODY = (
    "一、在镇街人流密集的路段建设城市服务驿站，休息区面积不少于驿站面积的60%。\n"
    "二、每个村（社区）设立社区城管服务工作站，由城管队员与社区专职人员共同值守。\n"
    "三、推行“1+N”模式，由市场监管、住建、生态环境、交通运输、公安等部门进驻驿站提供服务。\n"
    "四、为每个片区配备城管片长，推行“721工作法”，以服务为主、管理为辅、执法兜底。\n\n"
    "1. Build city service stations on busy streets, with at least 60% of each station's floor "
    "area as rest area.\n"
    "2. Set up a community city-management service workstation in every village or community, "
    "staffed jointly by city-management team members and full-time community workers.\n"
    '3. Run the "1+N" model, with market regulation, housing, ecology, transport, public '
    "security and other departments offering their services in the stations.\n"
    "4. Give every patch a city-management area chief and apply the 721 work method: mostly "
    "service, some management, law enforcement as the last resort."
)

# Two more proposals by the second deputy, only so that lists and statistics show variety.
DRAFT_PROPOSAL = {
    "number": "16-7-0002",
    "title": "关于在城市服务驿站增设户外劳动者休息服务的建议（示例）",
    "summary": (
        "建议在城市服务驿站为环卫工人、快递员等户外劳动者提供饮水、加热饭菜和手机充电服务。\n\n"
        "Demo proposal: offer outdoor workers such as street cleaners and couriers drinking "
        "water, food heating and phone charging at the city service stations."
    ),
}
CLOSED_PROPOSAL = {
    "number": "16-6-0015",
    "title": "关于在公园和广场增设公共饮水点的建议（示例）",
    "summary": (
        "建议在人流较多的公园和广场增设公共饮水点，方便市民和户外劳动者。\n\n"
        "Demo proposal: add public drinking-water points in busy parks and squares for "
        "citizens and outdoor workers."
    ),
    "plan": (
        "一、梳理各镇街公园和广场的饮水需求；二、增设公共饮水点；三、纳入日常巡查维护。（示例办理工作方案）\n\n"
        "Demo handling plan: survey the need for drinking water in the parks and squares of every "
        "town; add drinking-water points; include them in routine inspection and maintenance."
    ),
    "opinion": "同意牵头单位办理意见 (agrees with the lead unit's handling)",
    "reply": (
        "已在各镇街人流较多的公园和广场增设公共饮水点，并纳入日常巡查维护。\n\n"
        "Drinking-water points have been added in busy parks and squares of every town and are "
        "now part of routine inspection and maintenance."
    ),
    # Printed on the reply letter; a plainly made-up contact, not a real person or number.
    "contact": "示例联系人（市城管局建议办理工作组）",
}
