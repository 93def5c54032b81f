"""The OpenAPI 3.1 description of the search API (/api/search/openapi.json), written by hand.

Kept beside `api.py`: a change to a parameter or a field there changes this document too.
"""

from __future__ import annotations

from govsite.search import services

FILTER_DESCRIPTIONS = {
    "category": "栏目分类代码，如 news、policy。",
    "type": "内容类型：article（稿件）、policy（政策文件）、interpretation（政策解读）。",
    "topic": "主题分类名称。",
    "year": "发布年份，四位数字。",
    "issuer": "发布机构名称（完整名称）。",
    "validity": "有效性：valid（有效）、amended（已修改）、repealed（已废止）。",
}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _site_parameters() -> list[dict]:
    return [
        _query(
            "site",
            "网站标识（slug）；默认为请求所在网站。未知网站返回 400。",
            {"type": "string", "maxLength": 60},
        ),
        _query("scope", "site 为该网站（默认），all 为全平台。", {"type": "string", "enum": ["site", "all"]}),
    ]


def _search_parameters() -> list[dict]:
    """The page's parameters; `site` names the site by slug (a site facet value is a slug)."""
    text = {"type": "string", "maxLength": 100}
    found = [
        _query(
            "q",
            "检索词，最多 100 个字符；可为文号或索引号（精确匹配时返回 redirect）、拼音或拼音首字母。",
            text,
        ),
        *_site_parameters(),
        _query(
            "sort",
            "排序：relevance 按相关度（默认），date 按发布时间。",
            {"type": "string", "enum": list(services.SORTS)},
        ),
        _query(
            "page",
            f"页码，1 到 {services.MAX_PAGES}，每页 {services.PER_PAGE} 条；超出范围返回 400。",
            {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGES, "default": 1},
        ),
        _query(
            "number",
            "政策文件检索：文号（可为部分文号），只返回政策文件。",
            {"type": "string", "maxLength": 60},
        ),
    ]
    found += [
        _query(key, FILTER_DESCRIPTIONS.get(key, label), text)
        for key, label, _kind, _column in services.FACETS
        if key != "site"
    ]
    return found


NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "中文错误说明"}},
    },
    "Hit": {
        "type": "object",
        "required": ["title", "title_html", "snippet_html", "url", "site", "type", "pinned"],
        "properties": {
            "title": {"type": "string", "description": "标题（纯文本）"},
            "title_html": {"type": "string", "description": "标题，已转义，检索词以 <em> 标出"},
            "snippet_html": {"type": "string", "description": "正文摘录，已转义，检索词以 <em> 标出"},
            "url": {"type": "string", "format": "uri", "description": "信息的完整地址"},
            "site": {"type": "string", "description": "网站名称"},
            "column": {"type": "string", "description": "栏目名称"},
            "type": {"type": "string", "enum": ["article", "policy", "interpretation"]},
            "type_label": {"type": "string"},
            "published_at": {**NULLABLE_STRING, "format": "date-time"},
            "document_number": {"type": "string", "description": "文号"},
            "issuer": {"type": "string", "description": "发布机构"},
            "validity": {"type": "string", "description": "有效性：valid、amended、repealed 或空"},
            "validity_label": {"type": "string"},
            "pinned": {"type": "boolean", "description": "是否为编辑置顶的推荐答案"},
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "label", "count", "selected"],
        "properties": {
            "value": {"type": "string", "description": "作为同名参数的取值即可按此筛选"},
            "label": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        },
    },
    "Facet": {
        "type": "object",
        "required": ["key", "label", "values"],
        "properties": {
            "key": {"type": "string", "enum": [key for key, *_rest in services.FACETS]},
            "label": {"type": "string"},
            "values": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": [
            "query",
            "searched_for",
            "total",
            "total_is_lower_bound",
            "page",
            "pages",
            "hits",
            "facets",
        ],
        "properties": {
            "query": {"type": "string", "description": "收到的检索词（已截断到 100 个字符）"},
            "searched_for": {"type": "string", "description": "实际检索的词（拼音或纠错后）"},
            "total": {"type": "integer", "minimum": 0},
            "total_is_lower_bound": {
                "type": "boolean",
                "description": "为 true 时 total 是下限（“约 2000+ 条”）",
            },
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0, "maximum": services.MAX_PAGES},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"type": "array", "items": {"$ref": "#/components/schemas/Facet"}},
            "pinyin_from": {"type": "string", "description": "按拼音理解时，原来输入的拼音"},
            "corrected_from": {"type": "string", "description": "自动纠错时，原来输入的词"},
            "redirect": {
                "type": "string",
                "description": "文号或索引号精确命中时，该文件的完整地址；否则为空",
            },
        },
    },
    "Words": {"type": "array", "items": {"type": "string"}},
}


def _ok(description: str, schema: str) -> dict:
    return {
        "description": description,
        "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}}},
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


BAD_REQUEST = {
    "description": "参数错误",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

TOO_MANY = {
    "description": "调用过于频繁（每个网络地址每分钟默认 120 次），`Retry-After` 头给出等待秒数",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document(server_url: str) -> dict:
    """The OpenAPI document, naming `server_url` (the address it was asked from) as the server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "政府网站集约化平台 站内检索 API",
            "version": "1.0.0",
            "description": "只读接口，返回公开信息，可跨域调用。与网站搜索页使用同一检索服务：中文分词、同义词、"
            "拼音、纠错、分面筛选、按需求排序。检索日志只记录检索词和次数，不记录任何个人信息。",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/api/search/": {
                "get": {
                    "operationId": "search",
                    "summary": "检索",
                    "parameters": _search_parameters(),
                    "responses": {
                        "200": _ok("检索结果", "SearchResult"),
                        "400": BAD_REQUEST,
                        "429": TOO_MANY,
                    },
                }
            },
            "/api/search/suggest/": {
                "get": {
                    "operationId": "suggest",
                    "summary": "输入提示：按汉字、拼音或拼音首字母匹配的检索词",
                    "parameters": [
                        _query("q", "已输入的内容，最多 40 个字符", {"type": "string", "maxLength": 40})
                    ],
                    "responses": {"200": _ok("提示词，最多 8 个", "Words"), "429": TOO_MANY},
                }
            },
            "/api/search/hot/": {
                "get": {
                    "operationId": "hot",
                    "summary": "热门检索词（近 30 天、有结果的检索）",
                    "parameters": _site_parameters(),
                    "responses": {
                        "200": _ok("热门检索词，最多 10 个", "Words"),
                        "400": BAD_REQUEST,
                        "429": TOO_MANY,
                    },
                }
            },
            "/api/search/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "本文档",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1 文档", "content": {"application/json": {}}}
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
