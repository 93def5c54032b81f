"""The demo city: Nantong's institutions, sites, column trees and content written for the demo.

Division codes come from shared/reference/nantong-facts.md. Organisation codes, identifier
serials, ICP and police numbers, phone numbers and every article are fictional, made for the demo.
"""

from __future__ import annotations

CITY = ("南通市人民政府", "320600")

COUNTIES = [
    # name, division code, slug, has a portal in the demo
    ("崇川区人民政府", "320602", "chongchuan", True),
    ("通州区人民政府", "320612", "tongzhou", True),
    ("海门区人民政府", "320614", "haimen", True),
    ("如东县人民政府", "320623", "rudong", True),
    ("启东市人民政府", "320681", "qidong", False),
    ("如皋市人民政府", "320682", "rugao", False),
    ("海安市人民政府", "320685", "haian", False),
]

DEPARTMENTS = [
    # name, short name, slug, has a site in the demo
    ("南通市人民政府办公室", "市政府办公室", "zfb", False),
    ("南通市大数据管理局", "市大数据管理局", "dsj", False),
    ("南通市信访局", "市信访局", "xfj", False),
    ("南通市发展和改革委员会", "市发展改革委", "fgw", True),
    ("南通市教育局", "市教育局", "jyj", True),
    ("南通市人力资源和社会保障局", "市人社局", "rsj", True),
    ("南通市卫生健康委员会", "市卫生健康委", "wjw", False),
    ("南通市统计局", "市统计局", "tjj", False),
]

OTHER_INSTITUTIONS = [
    # name, kind, division code, parent name — kept to show who may not open a site (Art. 4)
    ("南通市崇川区教育体育局", "county_department", "320602", "崇川区人民政府"),
    ("南通市崇川区和平桥街道办事处", "town", "320602", "崇川区人民政府"),
    ("南通市教育局教学研究室", "subordinate_unit", "320600", "南通市教育局"),
    ("南通经济技术开发区管理委员会", "management_committee", "320600", "南通市人民政府"),
]

# (title, slug, category code, children) — the column tree of 指引 §1.6.
DISCLOSURE_CHILDREN = [
    ("信息公开指南", "gkzn", "disclosure_guide", []),
    ("机构职能", "jgzn", "organization", []),
    ("领导信息", "ldxx", "leadership", []),
    ("人事信息", "rsxx", "personnel", []),
    ("规划计划", "ghjh", "planning", []),
    ("信息公开年报", "gknb", "annual_report", []),
]

CITY_COLUMNS = [
    (
        "政务动态",
        "zwdt",
        "news",
        [
            ("南通要闻", "ntyw", "news", []),
            ("市县传真", "sxcz", "county_news", []),
            ("部门要闻", "bmyw", "department_news", []),
        ],
    ),
    ("通知公告", "tzgg", "notices", []),
    ("政策文件", "zcwj", "policy", []),
    ("政策解读", "zcjd", "interpretation", []),
    ("市情", "sq", "city_affairs", []),
    ("政府信息公开", "zfxxgk", "disclosure_catalogue", DISCLOSURE_CHILDREN),
    ("数据发布", "sjfb", "data_release", []),
    ("专题专栏", "ztzl", "topic", []),
]

COUNTY_COLUMNS = [
    ("政务动态", "zwdt", "news", []),
    ("通知公告", "tzgg", "notices", []),
    ("政策文件", "zcwj", "policy", []),
    ("政策解读", "zcjd", "interpretation", []),
    ("概况信息", "gkxx", "overview", []),
    ("政府信息公开", "zfxxgk", "disclosure_catalogue", DISCLOSURE_CHILDREN),
    ("数据发布", "sjfb", "data_release", []),
    ("专题专栏", "ztzl", "topic", []),
]

DEPARTMENT_COLUMNS = [
    ("工作动态", "gzdt", "news", []),
    ("通知公告", "tzgg", "notices", []),
    ("政策文件", "zcwj", "policy", []),
    ("政策解读", "zcjd", "interpretation", []),
    ("机构概况", "jggk", "overview", []),
    ("信息公开", "xxgk", "disclosure_catalogue", DISCLOSURE_CHILDREN),
    ("数据发布", "sjfb", "data_release", []),
]

# Words the article generator combines; every sentence below was written for the demo.
PLACES = [
    "崇川区",
    "通州区",
    "海门区",
    "如东县",
    "启东市",
    "如皋市",
    "海安市",
    "南通经济技术开发区",
    "通州湾示范区",
]
SUBJECTS = [
    "优化营商环境",
    "长江生态保护",
    "城市更新",
    "乡村振兴",
    "数字政府建设",
    "政务服务“一网通办”",
    "就业创业",
    "养老服务",
    "义务教育优质均衡",
    "公共卫生体系",
    "安全生产",
    "港口型国家物流枢纽",
    "科技创新",
    "文明城市建设",
    "老旧小区改造",
    "河湖长制",
]
NEWS_TITLES = [
    "市政府召开常务会议研究{subject}工作",
    "{place}扎实推进{subject}重点任务",
    "我市{subject}工作取得阶段性成效",
    "{place}召开{subject}专题推进会",
    "全市{subject}现场观摩会在{place}举行",
    "市领导赴{place}调研{subject}工作",
]
NOTICE_TITLES = [
    "关于开展{subject}专项检查的通知",
    "关于{subject}有关事项的公告",
    "关于征集{subject}意见建议的公告",
    "关于做好{subject}相关工作的通知",
]
POLICY_TITLES = [
    "南通市关于进一步推进{subject}的实施意见",
    "南通市{subject}三年行动计划（2026—2028年）",
    "关于加快{subject}的若干措施",
    "南通市{subject}管理办法",
]
PARAGRAPHS = [
    "会议指出，要坚持以人民为中心的发展思想，把{subject}作为一项重要工作抓紧抓实，确保各项任务落地见效。",
    "{place}围绕{subject}，细化工作方案，明确责任分工，建立月调度、季通报工作机制，推动工作取得新进展。",
    "下一步，各地各部门要强化协同配合，聚焦群众关心关注的突出问题，持续完善长效机制，不断提升群众获得感。",
    "据统计，今年以来全市围绕{subject}累计实施重点项目一百余个，完成年度计划的九成以上。",
    "会议要求，要加强政策宣传解读，及时回应社会关切，营造全社会共同参与的良好氛围。",
]
INTERPRETATION_PARAGRAPHS = [
    "一、制定背景。为贯彻落实上级关于{subject}的决策部署，结合我市实际，制定本文件。",
    "二、主要内容。文件从总体要求、重点任务、保障措施三个方面提出了具体举措。",
    "三、解决的问题。文件着力解决{subject}工作中存在的标准不统一、协同不充分等问题。",
    "四、施行时间。文件自发布之日起施行，由文件制发部门负责解释。",
]
STATIC_TEXT = {
    "overview": "<p>{name}位于长江入海口北岸，是长三角北翼经济中心，下辖崇川区、通州区、海门区、如东县、启东市、如皋市、海安市。</p>",
    "organization": "<p>{name}负责贯彻执行国家和省、市的方针政策和决策部署，统筹推进本地区、本领域各项工作。</p><p>办公地址：南通市崇川区世纪大道6号（演示地址）；办公时间：工作日 8:30—12:00，13:30—17:30。</p>",
    "leadership": "<p>本栏目发布{name}领导姓名、照片、简历和工作分工（演示数据，不含真实个人信息）。</p>",
    "disclosure_guide": "<p>本指南说明{name}政府信息主动公开的范围、方式和时限，以及依申请公开的受理机构、办理流程和收费标准。</p>",
    "disclosure_catalogue": "<p>政府信息公开目录按主题分类、发布机构和体裁汇集本网站发布的政府信息，每条信息均有唯一索引号。</p>",
    "city_affairs": "<p>南通，简称“通”，古称通州，是国家历史文化名城。本栏目介绍南通的历史沿革、自然地理和经济社会发展成就。</p>",
    "topic": "<p>围绕全市中心工作和群众关注热点设置专题，集中展现相关政策、动态和解读。</p>",
}

REPOST_SOURCES = [
    # name, determined by, active (Art. 17: sources determined by the Party committee, government or authority)
    ("中国政府网", "市委宣传部", True),
    ("新华社", "市委宣传部", True),
    ("人民日报", "市委宣传部", True),
    ("江苏省人民政府网", "市政府办公室", True),
    ("南通日报", "市委宣传部", True),
    ("某商业资讯网站（已停用示例）", "市委网信办", False),
]
