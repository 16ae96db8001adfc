"""The coded fields of an injury case: the 全国伤害监测报告卡 (China CDC NCNCD's national
injury surveillance report card, DOMAIN.md §4.2) with its code numbers, and where a case
came from.

DOMAIN.md names the card's fields but not its codes. The code numbers and labels below
are those the card's exported tables use, as read from two independent public code
bases that handle them (``data/README.md`` has the details):

* a product-injury project of a quality bureau that reads hospitals' card exports
  (GitHub ayuileng/zhijianju ``src/main/java/cn/edu/iip/nju/common/HospitalEnum.java``
  @0619feb, and the same project's Excel reader, GitHub-index file id 37450822476, whose
  codes split "其他" and "不清楚" as below);
* a district CDC's card entry page (GitHub-index file id 20252166992), which agrees on
  cause and place.

They are the 2006-generation card; a province's revision may renumber. The lists are
kept here, as data, so that a corrected list is a change of this module only. A blank
coded field means "not recorded" (a source that lacks the field, e.g. NEISS has no
intent or severity), which is not the card's "不清楚" (recorded as unknown).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a case came from: every source enters the same store, so a product
    category's risk is seen across them (DESIGN.md §2)."""

    HOSPITAL = "hospital", _("哨点医院")
    NEISS = "neiss", _("美国 NEISS")
    COMPLAINT = "complaint", _("12315 投诉举报")
    ECOMMERCE = "ecommerce", _("电子商务监测")
    ACCIDENT = "accident", _("事故报告")


class Sex(models.IntegerChoices):
    MALE = 1, _("男")
    FEMALE = 2, _("女")


class Residence(models.IntegerChoices):
    """户籍."""

    LOCAL = 1, _("本市/县")
    PROVINCE = 2, _("本省外地")
    OTHER_PROVINCE = 3, _("外省")
    FOREIGN = 4, _("外籍")


class Education(models.IntegerChoices):
    """文化程度."""

    CHILD = 1, _("未上学儿童")
    ILLITERATE = 2, _("文盲、半文盲")
    PRIMARY = 3, _("小学")
    JUNIOR = 4, _("初中")
    SENIOR = 5, _("高中或中专")
    COLLEGE = 6, _("大专")
    UNIVERSITY = 7, _("大学及以上")


class Occupation(models.IntegerChoices):
    """职业."""

    PRESCHOOL = 1, _("学龄前儿童")
    STUDENT = 2, _("在校学生")
    HOUSEWORK = 3, _("家务")
    UNEMPLOYED = 4, _("待业")
    RETIRED = 5, _("离退休人员")
    PROFESSIONAL = 6, _("专业技术人员")
    CLERICAL = 7, _("办事人员和有关人员")
    SERVICE = 8, _("商业、服务业人员")
    FARMING = 9, _("农牧渔水利业生产人员")
    PRODUCTION = 10, _("生产运输设备操作人员及有关人员")
    MILITARY = 11, _("军人")
    OTHER = 12, _("其他/不清楚")


class Cause(models.IntegerChoices):
    """伤害发生原因."""

    MOTOR_VEHICLE = 1, _("机动车车祸")
    NON_MOTOR_VEHICLE = 2, _("非机动车车祸")
    FALL = 3, _("跌倒/坠落")
    BLUNT = 4, _("钝器伤")
    FIREARM = 5, _("火器伤")
    CUT = 6, _("刀/锐器伤")
    BURN = 7, _("烧烫伤")
    SUFFOCATION = 8, _("窒息/悬吊")
    DROWNING = 9, _("溺水")
    POISONING = 10, _("中毒")
    ANIMAL = 11, _("动物伤")
    SEXUAL_ASSAULT = 12, _("性侵犯")
    OTHER = 13, _("其他")
    UNKNOWN = 14, _("不清楚")


class Place(models.IntegerChoices):
    """伤害发生地点."""

    HOME = 1, _("家中")
    PUBLIC_RESIDENCE = 2, _("公共居住场所")
    SCHOOL_PUBLIC = 3, _("学校与公共场所")
    SPORTS = 4, _("体育和运动场所")
    ROAD = 5, _("公路/街道")
    TRADE = 6, _("贸易和服务场所")
    INDUSTRY = 7, _("工业和建筑场所")
    FARM = 8, _("农场/农田")
    OTHER = 9, _("其他")
    UNKNOWN = 10, _("不清楚")


class Activity(models.IntegerChoices):
    """伤害发生时活动."""

    WORK = 1, _("工作")
    HOUSEWORK = 2, _("家务")
    STUDY = 3, _("学习")
    SPORTS = 4, _("体育活动")
    LEISURE = 5, _("休闲活动")
    VITAL = 6, _("生命活动")
    TRAVEL = 7, _("驾乘交通工具")
    WALKING = 8, _("步行")
    OTHER = 9, _("其他")
    UNKNOWN = 10, _("不清楚")


class Intent(models.IntegerChoices):
    """是否故意."""

    UNINTENTIONAL = 1, _("非故意（意外事故）")
    SELF_HARM = 2, _("自残/自杀")
    ASSAULT = 3, _("故意（暴力、攻击）")
    UNKNOWN = 4, _("不清楚")
    OTHER = 5, _("其他")


class Nature(models.IntegerChoices):
    """伤害性质 (the most serious one)."""

    FRACTURE = 1, _("骨折")
    SPRAIN = 2, _("扭伤/拉伤")
    OPEN_WOUND = 3, _("锐器伤、咬伤、开放伤")
    CONTUSION = 4, _("挫伤、擦伤")
    BURN = 5, _("烧烫伤")
    CONCUSSION = 6, _("脑震荡、脑挫裂伤")
    ORGAN = 7, _("内脏器官伤")
    OTHER = 8, _("其他")
    UNKNOWN = 9, _("不清楚")


class BodyPart(models.IntegerChoices):
    """伤害部位 (the most serious one)."""

    HEAD = 1, _("头部")
    UPPER_LIMB = 2, _("上肢")
    LOWER_LIMB = 3, _("下肢")
    TRUNK = 4, _("躯干")
    MULTIPLE = 5, _("多部位")
    WHOLE_BODY = 6, _("全身广泛受伤")
    OTHER = 7, _("其他")
    UNKNOWN = 8, _("不清楚")


class Severity(models.IntegerChoices):
    """伤害严重程度."""

    MILD = 1, _("轻度")
    MODERATE = 2, _("中度")
    SEVERE = 3, _("重度")


class Outcome(models.IntegerChoices):
    """伤害结局; NEISS's disposition maps onto it (``data/neiss_codes.csv``)."""

    RELEASED = 1, _("处理后离院")
    OBSERVED = 2, _("留观")
    TRANSFERRED = 3, _("转院")
    ADMITTED = 4, _("住院")
    DIED = 5, _("死亡")
    OTHER = 6, _("其他")


#: The coded fields of a case and their code lists, in the card's order.
CODED_FIELDS: dict[str, type[models.IntegerChoices]] = {
    "sex": Sex,
    "residence": Residence,
    "education": Education,
    "occupation": Occupation,
    "cause": Cause,
    "place": Place,
    "activity": Activity,
    "intent": Intent,
    "nature": Nature,
    "body_part": BodyPart,
    "severity": Severity,
    "outcome": Outcome,
}
