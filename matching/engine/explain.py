"""Short reasons for each score component, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from .records import AchievementRecord, Geography, NeedRecord, Taxonomy

MODE_NAMES = {
    "transfer": ("转让", "transfer"),
    "license": ("许可", "licence"),
    "co_development": ("合作开发", "co-development"),
    "equity": ("作价入股", "equity"),
    "service": ("技术服务", "technical service"),
}
SCOPE_NAMES = {
    "province": ("限本省", "same province only"),
    "cluster": ("限同一区域板块", "same regional cluster only"),
}


@dataclass(frozen=True)
class Reason:
    component: str
    value: float
    zh: str
    en: str
    broken: bool = False


def _names(codes: list[str], table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    return "、".join(table.get(c, (c, c))[0] for c in codes), ", ".join(table.get(c, (c, c))[1] for c in codes)


def explain_pair(
    *,
    need: NeedRecord,
    achievement: AchievementRecord,
    components: dict[str, float],
    broken: dict[str, bool],
    shared_terms: dict[str, list[str]],
    taxonomy: Taxonomy,
    geography: Geography,
) -> list[Reason]:
    reasons: list[Reason] = []
    text = components["text"]
    if shared_terms.get("en"):
        zh_terms, en_terms = "、".join(shared_terms["zh"]), ", ".join(shared_terms["en"])
        reasons.append(
            Reason(
                "text",
                text,
                f"技术内容相关（{text:.0%}）：共同要点 {zh_terms}",
                f"Technical fit {text:.0%}: shared terms {en_terms}",
            )
        )
    else:
        reasons.append(Reason("text", text, "技术内容几乎无共同点", "Little technical content in common"))

    domain = components["domain"]
    same_sub = sorted(set(need.domains) & set(achievement.domains) & {c for c in taxonomy.parent if taxonomy.is_sub(c)})
    if domain >= 0.99:
        zh, en = _names(same_sub, taxonomy.names) if same_sub else ("", "")
        reasons.append(
            Reason(
                "domain", domain, f"同一技术领域{('：' + zh) if zh else ''}", f"Same domain{(': ' + en) if en else ''}"
            )
        )
    elif not need.domains or not achievement.domains:
        reasons.append(
            Reason("domain", domain, "一方未标注领域，按文本推断", "A side gives no domain; inferred from the text")
        )
    elif domain > 0:
        tops = sorted({taxonomy.top(c) for c in need.domains} & {taxonomy.top(c) for c in achievement.domains})
        zh, en = _names(tops, taxonomy.names)
        reasons.append(Reason("domain", domain, f"同属{zh}", f"Both in {en}"))
    else:
        reasons.append(Reason("domain", domain, "技术领域不同", "Different domains"))

    region = components["region"]
    place_zh, place_en = _names([c for c in (achievement.city or achievement.province,) if c], geography.names)
    if need.city and need.city == achievement.city:
        reasons.append(Reason("region", region, f"同城（{place_zh}）", f"Same city ({place_en})"))
    elif need.province and need.province == achievement.province:
        reasons.append(Reason("region", region, f"同省（{place_zh}）", f"Same province ({place_en})"))
    else:
        shared = sorted(
            geography.clusters_of(need.province, need.city)
            & geography.clusters_of(achievement.province, achievement.city)
        )
        if shared:
            zh, en = _names(shared, geography.names)
            reasons.append(Reason("region", region, f"同属{zh}（{place_zh}）", f"Both in {en} ({place_en})"))
        elif geography.linked((need.province, need.city), (achievement.province, achievement.city)):
            reasons.append(Reason("region", region, f"结对合作地区（{place_zh}）", f"Partner regions ({place_en})"))
        else:
            reasons.append(Reason("region", region, f"跨区域（{place_zh}）", f"Other region ({place_en})"))
    if broken.get("region_scope"):
        zh, en = SCOPE_NAMES.get(need.region_scope, ("", ""))
        reasons.append(
            Reason("region", 0.0, f"不满足需求地域范围（{zh}）", f"Outside the need's region scope ({en})", broken=True)
        )

    readiness = components["readiness"]
    if achievement.trl is None or need.min_trl is None:
        reasons.append(Reason("readiness", readiness, "成熟度未知", "Readiness unknown"))
    elif broken.get("readiness"):
        reasons.append(
            Reason(
                "readiness",
                readiness,
                f"成熟度不足：TRL{achievement.trl}，需求至少 {need.min_trl}",
                f"Not ready enough: TRL {achievement.trl}, need asks {need.min_trl}",
                broken=True,
            )
        )
    else:
        reasons.append(
            Reason(
                "readiness",
                readiness,
                f"成熟度 TRL{achievement.trl}（要求 ≥{need.min_trl}）",
                f"Readiness TRL {achievement.trl} (need asks {need.min_trl})",
            )
        )

    price = components["price"]
    low = achievement.price_min if achievement.price_min is not None else achievement.price_max
    if low is None or need.budget is None:
        reasons.append(Reason("price", price, "价格或预算未说明", "Price or budget not given"))
    elif broken.get("price"):
        reasons.append(
            Reason(
                "price",
                price,
                f"报价 {low:g} 万元超出预算 {need.budget:g} 万元的 1.5 倍",
                f"Price from {low:g} exceeds 1.5 x budget {need.budget:g} (10k CNY)",
                broken=True,
            )
        )
    else:
        reasons.append(
            Reason(
                "price",
                price,
                f"报价 {low:g} 万元，预算 {need.budget:g} 万元",
                f"Price from {low:g}, budget {need.budget:g} (10k CNY)",
            )
        )

    mode = components["mode"]
    common = [m for m in achievement.modes if m in need.modes]
    if not need.modes:
        reasons.append(Reason("mode", mode, "需求不限合作方式", "Any cooperation mode accepted"))
    elif common:
        zh, en = _names(common, MODE_NAMES)
        reasons.append(Reason("mode", mode, f"合作方式一致：{zh}", f"Modes in common: {en}"))
    elif not achievement.modes:
        reasons.append(Reason("mode", mode, "成果未说明合作方式", "The achievement names no mode"))
    else:
        reasons.append(Reason("mode", mode, "合作方式不符", "No cooperation mode in common", broken=True))
    return reasons
