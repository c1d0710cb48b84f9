"""Pipeline configuration objects built from Scrapy settings (the one place tunables live)."""

from __future__ import annotations

from scrapy.settings import BaseSettings, Settings

from pipelines.extract import ExtractConfig
from pipelines.fingerprint import FingerprintConfig
from pipelines.group import GroupingConfig


def project_settings() -> Settings:
    """newscrawl's settings, for code that runs outside ``scrapy crawl``."""
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    return settings


def extract_config(settings: BaseSettings) -> ExtractConfig:
    return ExtractConfig(
        min_text_chars=settings.getint("EXTRACT_MIN_TEXT_CHARS"),
        max_html_chars=settings.getint("EXTRACT_MAX_HTML_CHARS"),
        favor=settings.get("EXTRACT_FAVOR"),
        fallback_favor=settings.get("EXTRACT_FALLBACK_FAVOR") or "",
        fallback_below_chars=settings.getint("EXTRACT_FALLBACK_BELOW_CHARS"),
        json_ld_fallback=settings.getbool("EXTRACT_JSON_LD_FALLBACK"),
        include_comments=settings.getbool("EXTRACT_INCLUDE_COMMENTS"),
        include_tables=settings.getbool("EXTRACT_INCLUDE_TABLES"),
        fast=settings.getbool("EXTRACT_FAST"),
        fast_pass_min_chars=settings.getint("EXTRACT_FAST_PASS_MIN_CHARS"),
        drop_link_lists=settings.getbool("EXTRACT_DROP_LINK_LISTS"),
        join_split_body=settings.getbool("EXTRACT_JOIN_SPLIT_BODY"),
        clean_lines=settings.getbool("EXTRACT_CLEAN_LINES"),
    )


def grouping_config(settings: BaseSettings) -> GroupingConfig:
    return GroupingConfig(
        fingerprint=FingerprintConfig(
            shingle_size=settings.getint("GROUPING_SHINGLE_SIZE"),
            num_perm=settings.getint("GROUPING_NUM_PERM"),
            seed=settings.getint("GROUPING_SEED"),
        ),
        lsh_threshold=settings.getfloat("GROUPING_LSH_THRESHOLD"),
        match_threshold=settings.getfloat("GROUPING_MATCH_THRESHOLD"),
        embed_words=settings.getint("GROUPING_EMBED_WORDS"),
        embed_chars=settings.getint("GROUPING_EMBED_CHARS"),
        embedded_members=settings.getint("GROUPING_EMBEDDED_MEMBERS"),
        candidate_clusters=settings.getint("GROUPING_CANDIDATE_CLUSTERS"),
        max_length_ratio=settings.getfloat("GROUPING_MAX_LENGTH_RATIO"),
        translation_threshold=settings.getfloat("GROUPING_TRANSLATION_THRESHOLD"),
        signature_weight=settings.getfloat("GROUPING_SIGNATURE_WEIGHT"),
        signature_min_keys=settings.getint("GROUPING_SIGNATURE_MIN_KEYS"),
        signature_neighbour_threshold=settings.getfloat("GROUPING_SIGNATURE_NEIGHBOUR_THRESHOLD"),
        low_signature_threshold=settings.getfloat("GROUPING_LOW_SIGNATURE_THRESHOLD"),
        signature_only_threshold=settings.getfloat("GROUPING_SIGNATURE_ONLY_THRESHOLD"),
        signature_max_share=settings.getfloat("GROUPING_SIGNATURE_MAX_SHARE"),
        signature_common_floor=settings.getint("GROUPING_SIGNATURE_COMMON_FLOOR"),
        signature_max_articles=settings.getint("GROUPING_SIGNATURE_MAX_ARTICLES"),
        same_language_veto=settings.getfloat("GROUPING_SAME_LANGUAGE_VETO"),
        centring_prior=settings.getfloat("GROUPING_CENTRING_PRIOR"),
    )
