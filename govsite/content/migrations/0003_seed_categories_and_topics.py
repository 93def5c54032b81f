"""Seed the column categories (with freshness rules, gov-site-rules §2.2) and the topic classification.

Both are data the operators can correct in the admin: the freshness figures marked [M-M]/[M-L]
in gov-site-rules.md are defaults, not constants. The topic list follows the two-level 主题分类
used on www.gov.cn as the team remembers it; check it against the official list before relying on it.
"""

from django.db import migrations

TWO_WEEKS, SIX_MONTHS, ONE_YEAR = 14, 183, 365

CATEGORIES = [
    # code, name, update_within_days, long_stale_days, veto_group, top_level_only, note
    ("news", "政务动态（要闻、工作动态）", TWO_WEEKS, SIX_MONTHS, "dynamic", False,
     "第六条：政务动态类信息两周内更新不少于一次；国办秘函〔2019〕19号 栏目不更新(a)。"),
    ("notices", "通知公告", SIX_MONTHS, ONE_YEAR, "notice_policy", True,
     "国办秘函〔2019〕19号：通知公告一级栏目6个月未更新计入栏目不更新(a)。"),
    ("policy", "政策文件", SIX_MONTHS, ONE_YEAR, "notice_policy", True,
     "第六条：政策文件类信息6个月内更新不少于一次；一级栏目6个月未更新扣5分。"),
    ("interpretation", "政策解读", SIX_MONTHS, ONE_YEAR, "", False,
     "第八条：解读随文件发布；按政策文件类6个月计（本平台默认）。"),
    ("personnel", "人事信息", ONE_YEAR, 2 * ONE_YEAR, "", False,
     "应更新但长期未更新计入栏目不更新(b)；一年周期为地方规定[M-L]。"),
    ("planning", "规划计划", ONE_YEAR, 2 * ONE_YEAR, "", False,
     "应更新但长期未更新计入栏目不更新(b)；一年周期为地方规定[M-L]。"),
    ("overview", "概况信息", None, None, "", False, "发生变化时及时更新（第十三条）；不得为空白栏目。"),
    ("leadership", "领导信息", None, None, "", False, "姓名、照片、简历、分工，变化时及时更新（第十三条）。"),
    ("organization", "机构职能", None, None, "", False, "机构设置、职能、地址、电话、办公时间，变化时及时更新。"),
    ("data_release", "数据发布", 92, ONE_YEAR, "", False, "办事统计数据3个月未更新扣2分[M-M]。"),
    ("disclosure_guide", "信息公开指南", None, None, "", False, "变化时及时更新。"),
    ("disclosure_catalogue", "信息公开目录", None, None, "", False, "由各栏目内容按元数据汇集。"),
    ("annual_report", "信息公开年报", ONE_YEAR, 400, "", False, "每年1月31日前发布（第二十九条）。"),
    ("topic", "专题专栏", None, None, "", False, "不能持续更新的专栏应及时归并或关闭（第十三条）。"),
    ("city_affairs", "市情", 92, ONE_YEAR, "", False, "第七条：各地区、各部门保障“市情”栏目及时更新[M-L]。"),
    ("county_news", "市县传真", TWO_WEEKS, SIX_MONTHS, "dynamic", False, "第七条：动态信息，按政务动态类两周计。"),
    ("department_news", "部门要闻", TWO_WEEKS, SIX_MONTHS, "dynamic", False, "第七条：动态信息，按政务动态类两周计。"),
]

TOPICS = {
    "综合政务": ["政务公开", "电子政务", "应急管理", "政务督查", "文秘工作", "参事、文史", "其他"],
    "国民经济管理、国有资产监管": ["宏观经济", "经济体制改革", "发展规划", "统计", "物价", "国有资产监管", "其他"],
    "财政、金融、审计": ["财政", "税务", "金融", "审计", "其他"],
    "国土资源、能源": ["土地", "矿产", "海洋", "测绘", "能源", "其他"],
    "农业、林业、水利": ["农业、畜牧业、渔业", "林业", "水利", "其他"],
    "工业、交通": ["工业", "信息产业（含电信）", "交通", "邮政", "其他"],
    "商贸、海关、旅游": ["商贸", "海关", "旅游", "其他"],
    "市场监管、安全生产监管": ["市场监管", "安全生产监管", "其他"],
    "城乡建设、环境保护": ["城乡建设（含住房）", "环境监测、保护与治理", "节能与资源综合利用", "其他"],
    "科技、教育": ["科技", "教育", "知识产权", "其他"],
    "文化、广电、新闻出版": ["文化", "广播电视", "新闻出版", "文物", "其他"],
    "卫生、体育": ["卫生", "医药管理", "体育", "其他"],
    "人口与计划生育、妇女儿童工作": ["人口与计划生育", "妇女儿童", "其他"],
    "劳动、人事、监察": ["劳动就业", "社会保障", "人事工作", "监察", "其他"],
    "公安、安全、司法": ["公安", "安全", "司法", "其他"],
    "民政、扶贫、救灾": ["社会福利", "减灾救灾", "扶贫", "社团管理", "行政区划与地名", "优抚安置", "其他"],
    "民族、宗教": ["民族事务", "宗教事务", "其他"],
    "对外事务": ["外交、外事", "国际合作", "其他"],
    "港澳台侨工作": ["港澳工作", "台湾工作", "华侨工作", "其他"],
    "国防": ["国防动员", "双拥", "其他"],
    "其他": ["其他"],
}


def seed(apps, schema_editor):
    ColumnCategory = apps.get_model("content", "ColumnCategory")
    TopicCategory = apps.get_model("content", "TopicCategory")
    for order, (code, name, within, stale, group, top_only, note) in enumerate(CATEGORIES):
        ColumnCategory.objects.update_or_create(
            code=code,
            defaults=dict(name=name, update_within_days=within, long_stale_days=stale, veto_group=group,
                          top_level_only=top_only, rule_note=note, sort_order=order),
        )
    for order, (first, seconds) in enumerate(TOPICS.items()):
        parent, _ = TopicCategory.objects.get_or_create(name=first, parent=None, defaults={"sort_order": order})
        for sub_order, second in enumerate(seconds):
            TopicCategory.objects.get_or_create(name=second, parent=parent, defaults={"sort_order": sub_order})


class Migration(migrations.Migration):
    dependencies = [("content", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
