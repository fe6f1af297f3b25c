"""Domain vocabularies. Each member carries its Chinese label as data (LABELS_ZH)."""

from __future__ import annotations

from enum import StrEnum


class JurisdictionLevel(StrEnum):
    CITY = "CITY"
    TOWN = "TOWN"  # town, street or industrial park (镇街/园区)
    COMMUNITY = "COMMUNITY"  # village or community (村/社区)


class TownKind(StrEnum):
    STREET = "STREET"
    TOWN = "TOWN"
    PARK = "PARK"


class DepartmentKind(StrEnum):
    CONGRESS = "CONGRESS"
    GOVERNMENT = "GOVERNMENT"
    BUREAU = "BUREAU"
    DEPARTMENT = "DEPARTMENT"
    TOWN_GOVERNMENT = "TOWN_GOVERNMENT"


class StationKind(StrEnum):
    SERVICE_STATION = "SERVICE_STATION"
    COMMUNITY_WORKSTATION = "COMMUNITY_WORKSTATION"


class StationLevel(StrEnum):
    CITY_DEMONSTRATION = "CITY_DEMONSTRATION"
    TOWN = "TOWN"
    COMMUNITY = "COMMUNITY"


class StationStatus(StrEnum):
    PLANNED = "PLANNED"
    UNDER_CONSTRUCTION = "UNDER_CONSTRUCTION"
    OPERATING = "OPERATING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class StationFunction(StrEnum):
    CITY_MANAGEMENT = "CITY_MANAGEMENT"
    SERVICE_CONSULTATION = "SERVICE_CONSULTATION"
    COMMAND_DISPATCH = "COMMAND_DISPATCH"
    PARTY_BUILDING = "PARTY_BUILDING"
    LEGAL_OUTREACH = "LEGAL_OUTREACH"
    REST_AND_WATER = "REST_AND_WATER"


class Amenity(StrEnum):
    MICROWAVE = "MICROWAVE"
    INDUCTION_COOKER = "INDUCTION_COOKER"
    KETTLE = "KETTLE"
    FRIDGE = "FRIDGE"
    MEDICINE_KIT = "MEDICINE_KIT"
    UMBRELLAS = "UMBRELLAS"
    PUBLIC_WIFI = "PUBLIC_WIFI"
    PHONE_CHARGING = "PHONE_CHARGING"


class PostingRole(StrEnum):
    AREA_CHIEF = "AREA_CHIEF"
    TEAM_MEMBER = "TEAM_MEMBER"
    COMMUNITY_WORKER = "COMMUNITY_WORKER"
    DEPARTMENT_LIAISON = "DEPARTMENT_LIAISON"


class ProposalStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    REGISTERED = "REGISTERED"
    ASSIGNED = "ASSIGNED"
    HANDLING = "HANDLING"
    REPLIED = "REPLIED"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"


class HandlingUnitRole(StrEnum):
    LEAD = "LEAD"
    CO_HANDLING = "CO_HANDLING"


class TaskStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


class ReplyResult(StrEnum):
    SOLVED = "SOLVED"
    BEING_SOLVED = "BEING_SOLVED"
    CANNOT_BE_SOLVED = "CANNOT_BE_SOLVED"


class Rating(StrEnum):
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    DISSATISFIED = "DISSATISFIED"


class TicketSource(StrEnum):
    WALK_IN = "WALK_IN"
    HOTLINE_12345 = "HOTLINE_12345"
    PATROL = "PATROL"
    DEPARTMENT = "DEPARTMENT"


class TicketStatus(StrEnum):
    REGISTERED = "REGISTERED"
    DISPATCHED = "DISPATCHED"
    ON_SITE = "ON_SITE"
    TRANSFERRED = "TRANSFERRED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"


class ResolutionMethod(StrEnum):
    """The 721 work method: 70% service, 20% management, 10% law enforcement."""

    SERVICE = "SERVICE"
    MANAGEMENT = "MANAGEMENT"
    ENFORCEMENT = "ENFORCEMENT"


_LABEL_PAIRS: tuple[tuple[StrEnum, str], ...] = (
    (JurisdictionLevel.CITY, "市"),
    (JurisdictionLevel.TOWN, "镇街/园区"),
    (JurisdictionLevel.COMMUNITY, "村/社区"),
    (TownKind.STREET, "街道"),
    (TownKind.TOWN, "镇"),
    (TownKind.PARK, "园区"),
    (DepartmentKind.CONGRESS, "人大常委会"),
    (DepartmentKind.GOVERNMENT, "市政府"),
    (DepartmentKind.BUREAU, "市城管局"),
    (DepartmentKind.DEPARTMENT, "职能部门"),
    (DepartmentKind.TOWN_GOVERNMENT, "镇街政府"),
    (StationKind.SERVICE_STATION, "城市服务驿站"),
    (StationKind.COMMUNITY_WORKSTATION, "社区城管服务工作站"),
    (StationLevel.CITY_DEMONSTRATION, "市级示范点"),
    (StationLevel.TOWN, "镇街驿站"),
    (StationLevel.COMMUNITY, "社区工作站"),
    (StationStatus.PLANNED, "规划中"),
    (StationStatus.UNDER_CONSTRUCTION, "建设中"),
    (StationStatus.OPERATING, "运营中"),
    (StationStatus.SUSPENDED, "暂停"),
    (StationStatus.CLOSED, "关闭"),
    (StationFunction.CITY_MANAGEMENT, "城市管理"),
    (StationFunction.SERVICE_CONSULTATION, "服务咨询"),
    (StationFunction.COMMAND_DISPATCH, "指挥调度"),
    (StationFunction.PARTY_BUILDING, "党建阵地"),
    (StationFunction.LEGAL_OUTREACH, "普法宣传"),
    (StationFunction.REST_AND_WATER, "休息饮水"),
    (Amenity.MICROWAVE, "微波炉"),
    (Amenity.INDUCTION_COOKER, "电磁炉"),
    (Amenity.KETTLE, "热水壶"),
    (Amenity.FRIDGE, "冰箱"),
    (Amenity.MEDICINE_KIT, "医药箱"),
    (Amenity.UMBRELLAS, "雨伞"),
    (Amenity.PUBLIC_WIFI, "公共WiFi"),
    (Amenity.PHONE_CHARGING, "手机充电"),
    (PostingRole.AREA_CHIEF, "城管片长"),
    (PostingRole.TEAM_MEMBER, "城管队员"),
    (PostingRole.COMMUNITY_WORKER, "社区工作人员"),
    (PostingRole.DEPARTMENT_LIAISON, "部门联络员"),
    (ProposalStatus.DRAFT, "草稿"),
    (ProposalStatus.SUBMITTED, "已提交"),
    (ProposalStatus.REGISTERED, "已登记"),
    (ProposalStatus.ASSIGNED, "已交办"),
    (ProposalStatus.HANDLING, "办理中"),
    (ProposalStatus.REPLIED, "已答复"),
    (ProposalStatus.CLOSED, "已办结"),
    (ProposalStatus.WITHDRAWN, "已撤回"),
    (HandlingUnitRole.LEAD, "牵头单位"),
    (HandlingUnitRole.CO_HANDLING, "协办单位"),
    (TaskStatus.NOT_STARTED, "未开始"),
    (TaskStatus.IN_PROGRESS, "推进中"),
    (TaskStatus.DONE, "已完成"),
    (ReplyResult.SOLVED, "已解决"),
    (ReplyResult.BEING_SOLVED, "正在解决"),
    (ReplyResult.CANNOT_BE_SOLVED, "因条件限制无法解决"),
    (Rating.SATISFIED, "满意"),
    (Rating.BASICALLY_SATISFIED, "基本满意"),
    (Rating.DISSATISFIED, "不满意"),
    (TicketSource.WALK_IN, "驿站来访"),
    (TicketSource.HOTLINE_12345, "12345热线"),
    (TicketSource.PATROL, "巡查发现"),
    (TicketSource.DEPARTMENT, "部门转办"),
    (TicketStatus.REGISTERED, "已登记"),
    (TicketStatus.DISPATCHED, "已派遣"),
    (TicketStatus.ON_SITE, "已到场"),
    (TicketStatus.TRANSFERRED, "已转办"),
    (TicketStatus.RESOLVED, "已处置"),
    (TicketStatus.CLOSED, "已办结"),
    (TicketStatus.REJECTED, "已退回"),
    (TicketStatus.DUPLICATE, "重复工单"),
    (ResolutionMethod.SERVICE, "服务"),
    (ResolutionMethod.MANAGEMENT, "管理"),
    (ResolutionMethod.ENFORCEMENT, "执法"),
)


# Keyed by (enum class, value): members of different enums may share a value (TOWN).
LABELS_ZH: dict[tuple[type, str], str] = {(type(m), m.value): label for m, label in _LABEL_PAIRS}


def label_zh(value: StrEnum | None) -> str | None:
    return None if value is None else LABELS_ZH.get((type(value), value.value))


class DepartmentTicketStatus(StrEnum):
    """A department's own sub-status for a ticket transferred to it."""

    RECEIVED = "RECEIVED"
    HANDLING = "HANDLING"
    DONE = "DONE"
    RETURNED = "RETURNED"


LABELS_ZH.update(
    {
        (DepartmentTicketStatus, "RECEIVED"): "已接收",
        (DepartmentTicketStatus, "HANDLING"): "处理中",
        (DepartmentTicketStatus, "DONE"): "已办结",
        (DepartmentTicketStatus, "RETURNED"): "已退回",
    }
)


class TimeUnit(StrEnum):
    """How a category's response or resolution time is counted."""

    NATURAL_MINUTES = "NATURAL_MINUTES"  # street problems fixed on the spot: 30 minutes, round the clock
    NATURAL_HOURS = "NATURAL_HOURS"  # urgent matters: hours round the clock
    WORKING_HOURS = "WORKING_HOURS"  # office hours of workdays only
    WORKING_DAYS = "WORKING_DAYS"  # "3个工作日内办结": to the end of the Nth workday after the day


class CalendarDayKind(StrEnum):
    WORKDAY = "WORKDAY"  # Monday to Friday, no holiday
    WEEKEND = "WEEKEND"  # Saturday or Sunday, no make-up workday
    HOLIDAY = "HOLIDAY"  # a statutory holiday (法定节假日), weekend days inside it included
    MAKEUP_WORKDAY = "MAKEUP_WORKDAY"  # 调休: a weekend day worked in exchange for a holiday


class ReturnVisitChannel(StrEnum):
    """How staff reached (or tried to reach) the citizen on a return visit (回访方式)."""

    PHONE = "PHONE"
    SMS = "SMS"
    WECHAT = "WECHAT"
    ON_SITE = "ON_SITE"


class CloseReason(StrEnum):
    """Why a resolved ticket was closed (办结原因): the citizen's rating on a return visit, or that the
    citizen could not be reached after the set attempts or days."""

    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    UNREACHABLE = "UNREACHABLE"


class AttachmentOwner(StrEnum):
    """What an attachment belongs to: one table serves tickets, proposals and their replies."""

    TICKET = "TICKET"
    PROPOSAL = "PROPOSAL"


class AttachmentStage(StrEnum):
    """When a file was attached: a citizen's photo at intake, the handler's on site and after the
    fix, a reply letter on a proposal."""

    INTAKE = "INTAKE"
    ON_SITE = "ON_SITE"
    RESOLUTION = "RESOLUTION"
    REPLY = "REPLY"
    OTHER = "OTHER"


LABELS_ZH.update(
    {
        (TimeUnit, "NATURAL_MINUTES"): "分钟",
        (TimeUnit, "NATURAL_HOURS"): "小时",
        (TimeUnit, "WORKING_HOURS"): "工作小时",
        (TimeUnit, "WORKING_DAYS"): "工作日",
        (CalendarDayKind, "WORKDAY"): "工作日",
        (CalendarDayKind, "WEEKEND"): "周末",
        (CalendarDayKind, "HOLIDAY"): "法定节假日",
        (CalendarDayKind, "MAKEUP_WORKDAY"): "调休上班",
        (ReturnVisitChannel, "PHONE"): "电话",
        (ReturnVisitChannel, "SMS"): "短信",
        (ReturnVisitChannel, "WECHAT"): "微信",
        (ReturnVisitChannel, "ON_SITE"): "上门",
        (CloseReason, "SATISFIED"): "满意办结",
        (CloseReason, "BASICALLY_SATISFIED"): "基本满意办结",
        (CloseReason, "UNREACHABLE"): "无法联系办结",
        (AttachmentOwner, "TICKET"): "工单",
        (AttachmentOwner, "PROPOSAL"): "建议",
        (AttachmentStage, "INTAKE"): "受理时",
        (AttachmentStage, "ON_SITE"): "现场",
        (AttachmentStage, "RESOLUTION"): "处置后",
        (AttachmentStage, "REPLY"): "答复",
        (AttachmentStage, "OTHER"): "其他",
    }
)
