"""The one vocabulary: every code the product stores (a status, a page kind, a date source, ...) and the Chinese
words a person reads for it, in its display order.

Each :class:`Vocabulary` has ``label``, the word every table, filter, message and CLI line uses, and named
variants where one place says it differently on purpose (the annual report's formal wording, the CLI's terse
one). Every variant names every code, in the same order. Outputs are compared byte for byte in the tests, so a
word changes here or nowhere. Standard library only: every layer, the pure extraction included, may import it.
"""
from __future__ import annotations

from collections.abc import Mapping


class Vocabulary:
    """Codes (in display order) and their words: ``label`` and the variants given as keyword arguments."""

    def __init__(self, label: dict[str, str], **variants: dict[str, str]) -> None:
        for name, words in variants.items():
            if set(words) != set(label):
                raise ValueError(f"variant {name!r} names other codes than the label: {set(words) ^ set(label)}")
        self.label: Mapping[str, str] = label
        self.order: tuple[str, ...] = tuple(label)
        # Re-keyed in label order, so iterating any variant lists the codes in display order.
        self._variants: dict[str, Mapping[str, str]] = {n: {k: w[k] for k in label} for n, w in variants.items()}

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(self._variants)

    def __getattr__(self, name: str) -> Mapping[str, str]:
        variants: dict[str, Mapping[str, str]] = self.__dict__.get("_variants", {})  # no recursion while unpickling
        try:
            return variants[name]
        except KeyError:
            raise AttributeError(name) from None

    def __contains__(self, code: object) -> bool:
        return code in self.label

    def __repr__(self) -> str:
        return f"Vocabulary({', '.join(self.order)})"


# Item status (monitor.rules verdicts and monitor.assess's precedence statuses). ``order`` reads good → bad
# (the dashboard's heat map and filters, the CLI's list of accepted names); ``formal`` is the report's
# "存在的主要问题" wording ("…等3项{formal}。").
STATUS = Vocabulary(
    {"ok": "正常", "due_soon": "即将到期", "overdue": "逾期", "missing": "缺失", "blank": "空白栏目",
     "undated": "无日期", "unreachable": "无法访问"},
    formal={"ok": "按要求更新", "due_soon": "即将到期", "overdue": "处于逾期未更新状态",
            "missing": "未找到对应公开栏目", "blank": "栏目内容为空", "undated": "页面未标注发布日期",
            "unreachable": "栏目无法访问"},
)
# Most urgent first: how status counts and per-status lists are summed up (CLI, assessment counts).
STATUS_BY_URGENCY: tuple[str, ...] = ("overdue", "missing", "unreachable", "blank", "undated", "due_soon", "ok")
# The office's daily summary counts failures of the site before missing columns, and undated after due soon.
STATUS_DIGEST_ORDER: tuple[str, ...] = ("overdue", "unreachable", "missing", "blank", "due_soon", "undated", "ok")

# An item judged provisionally (monitor.assess ``ItemStatus.provisional``): its only matches are candidates
# awaiting review. Not a status: every surface shows it beside the status judged from the candidates (which stays
# the staleness status); ``formal``: the annual report's mark in the item's row.
CONFIRMATION = Vocabulary({"provisional": "已找到·待确认"}, formal={"provisional": "待确认"})

# What a page (pages.kind: article/list/attachment/other) or a piece of evidence and a match target
# (article/attachment/entry/column) is. ``formal``: the report; ``short``: a match reason ("文章标题「…」") and
# the CLI's match list; ``page``: `xxgk inspect`, which explains what kind of page it fetched.
KIND = Vocabulary(
    {"article": "文章", "list": "栏目", "column": "栏目", "entry": "栏目条目", "attachment": "附件", "other": "其他"},
    formal={"article": "文章", "list": "栏目", "column": "栏目", "entry": "列表条目", "attachment": "附件",
            "other": "页面"},
    short={"article": "文章", "list": "栏目", "column": "栏目", "entry": "条目", "attachment": "附件", "other": "其他"},
    page={"article": "文章页", "list": "列表页（栏目）", "column": "列表页（栏目）", "entry": "栏目条目",
          "attachment": "附件", "other": "其他页面（首页/导航等）"},
)

# Where a date came from (crawler.extract sets meta…observed; monitor.assess adds linking for a file dated by
# the page that links it). Every place that shows a date's source uses these words.
DATE_SOURCE = Vocabulary({
    "meta": "页面元数据",
    "label": "页面标注",
    "list": "栏目列表中的日期",
    "url": "网址中的日期",
    "heading": "标题下的日期",
    "signature": "落款日期",
    "http": "服务器修改时间（Last-Modified）",
    "observed": "监测发现内容变化",
    "linking": "引用页面的日期",
})

# How a page came to be matched to a catalog item (matches.method).
MATCH_METHOD = Vocabulary({"override": "配置指定", "navigation": "栏目导航", "offsite": "站外栏目",
                           "similarity": "标题相似", "inherited": "继承栏目", "manual": "人工指定"})
# A match's review state; the dashboard's buttons say 排除, `xxgk match reject` says 否决.
MATCH_STATE = Vocabulary(
    {"auto": "自动匹配", "review": "待审核", "confirmed": "已确认", "rejected": "已排除"},
    cli={"auto": "自动", "review": "待审核", "confirmed": "已确认", "rejected": "已否决"},
)

# Crawl limits a scan ran into (scans.limits_hit).
LIMIT = Vocabulary({
    "max_pages_per_site": "单站页面上限", "max_depth": "深度上限", "trap": "疑似爬虫陷阱",
    "robots": "robots.txt 禁止", "max_download_mb": "下载大小上限", "counter_urls": "跳过的计数器地址（从不抓取）",
    "internal_address": "内网地址或非常用端口（从不访问）", "redirect_out_of_scope": "重定向到配置范围以外（已拦截）",
    "file_too_complex": "文件过大或过于复杂，已跳过",
    "needs_browser": "需要浏览器才能读取（未渲染）", "render_max_pages": "浏览器渲染页数上限",
    "render_max_pages_per_host": "单站浏览器渲染页数上限",
})
# Why a page needs a browser (pages.rendered / pages.needs_browser; crawler/render.py).
RENDER = Vocabulary({"challenge": "反爬虫验证页", "scripted_list": "栏目列表由脚本加载", "configured": "配置为总是渲染"})
# A scan's outcome (scans.status) and what started it (scans.trigger).
SCAN_STATE = Vocabulary({"done": "完成", "running": "进行中", "failed": "失败", "killed": "被终止",
                         "interrupted": "中断", "timeout": "超时"})
SCAN_TRIGGER = Vocabulary({"cli": "命令行", "schedule": "定时任务", "dashboard": "看板", "demo": "演示",
                           "scrapy": "Scrapy 命令", "fleet": "集群任务"})
# A fleet's jobs (monitor/fleet): what a job does, where it stands, who asked for it.
FLEET_JOB_KIND = Vocabulary({"scan": "扫描与评估", "digest": "通知摘要"})
FLEET_JOB_STATE = Vocabulary({"queued": "排队中", "waiting": "等待中", "running": "运行中", "done": "完成",
                              "failed": "失败", "timeout": "超时"})
FLEET_JOB_TRIGGER = Vocabulary({"schedule": "计划", "manual": "手动"})
# Why the Scrapy crawl of a scan ended (Scrapy's close reasons), as the scan's message.
CRAWL_END = Vocabulary({
    "finished": "完成",
    "shutdown": "收到停止信号，已中止",
    "closespider_timeout": "达到时间上限，已中止",
    "closespider_pagecount": "达到页面上限，已中止",
    "closespider_errorcount": "错误过多，已中止",
})

# Personal-data findings: what was found, and the office's decision (order: unresolved first).
PII_KIND = Vocabulary({"id_card": "身份证号", "mobile": "手机号", "bank_card": "银行卡号", "address": "家庭住址"})
FINDING_STATE = Vocabulary({"open": "未处理", "accepted": "已确认可公开", "fixed": "已整改"})
# A column found empty or not updated for longer than the inspection rules allow.
COLUMN_FINDING = Vocabulary({"blank": "空白栏目", "stale": "长期未更新"})
# A checked link, and a site's home page over its recent checks.
LINK_CATEGORY = Vocabulary({"ok": "正常", "dead": "死链", "server_error": "服务器错误",
                            "blocked": "被拦截（反爬/限流）", "intranet": "内网或需登录", "timeout": "超时",
                            "skipped": "未检查"})
SITE_STATE = Vocabulary({"ok": "正常", "degraded": "偶发失败", "unreachable": "无法访问", "unknown": "未检查"})

# Notifications: a message's delivery state (``short``: the dashboard's result filter, where 发送失败 covers
# both failed states) and what kind of message it is.
NOTIFY_STATE = Vocabulary(
    {"pending": "待发送", "sent": "已发送", "failed": "发送失败（稍后重试）", "gave_up": "发送失败（已放弃）"},
    short={"pending": "待发送", "sent": "已发送", "failed": "发送失败", "gave_up": "发送失败"},
)
NOTIFY_KIND = Vocabulary({"unit_digest": "单位提醒", "office_summary": "办公室日报"})

# Dashboard roles; ``explain``: what each may do (`xxgk user` help and errors).
ROLE = Vocabulary(
    {"admin": "管理员", "office": "信息公开办", "unit": "责任单位", "viewer": "只读"},
    explain={"admin": "管理员（全部权限，可确认匹配、发起扫描）", "office": "信息公开办公室（查看全部，可确认匹配）",
             "unit": "责任单位（仅本单位事项，可确认已知悉）", "viewer": "只读用户"},
)

# Accounts of the provincial overview (monitor/overview); ``explain``: what each may see.
OVERVIEW_ROLE = Vocabulary({"province": "省级", "school": "学校"},
                           explain={"province": "省级账号（查看全部学校）", "school": "学校账号（仅本校）"})

# Update-rule kinds (monitor.rules grammar), in the grammar's order.
RULE_KIND = Vocabulary({"static": "长期有效", "event": "事件类", "periodic": "定期更新", "annual": "每年定期",
                        "window": "每年时段内", "on_change": "变动即更"})

ALL: dict[str, Vocabulary] = {
    "STATUS": STATUS, "CONFIRMATION": CONFIRMATION, "KIND": KIND, "DATE_SOURCE": DATE_SOURCE, "MATCH_METHOD": MATCH_METHOD,
    "MATCH_STATE": MATCH_STATE, "LIMIT": LIMIT, "SCAN_STATE": SCAN_STATE, "SCAN_TRIGGER": SCAN_TRIGGER,
    "CRAWL_END": CRAWL_END, "PII_KIND": PII_KIND, "FINDING_STATE": FINDING_STATE, "COLUMN_FINDING": COLUMN_FINDING,
    "LINK_CATEGORY": LINK_CATEGORY, "SITE_STATE": SITE_STATE, "NOTIFY_STATE": NOTIFY_STATE,
    "NOTIFY_KIND": NOTIFY_KIND, "ROLE": ROLE, "OVERVIEW_ROLE": OVERVIEW_ROLE,
    "FLEET_JOB_KIND": FLEET_JOB_KIND, "FLEET_JOB_STATE": FLEET_JOB_STATE, "FLEET_JOB_TRIGGER": FLEET_JOB_TRIGGER,
    "RULE_KIND": RULE_KIND,
}
