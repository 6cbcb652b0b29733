"""The data contract: every table of a dataset, its columns, types and meaning.

This module is the single source for the pandera schemas (`helpers.data.schemas`),
the validation messages and the data dictionary in the book, so the three can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of column. Values arrive as text; `kind` says how they are parsed.
TEXT, INTEGER, NUMBER, DATE = "text", "integer", "number", "date"

ONS_ITEMS = ("ons_life_satisfaction", "ons_worthwhile", "ons_happy", "ons_anxious")
GSE_ITEMS = tuple(f"gse_{i:02d}" for i in range(1, 11))
GROUPS = ("patient", "link_worker", "health_professional", "voluntary_sector")
EMBEDDEDNESS_LEVELS = ("bolted_on", "fitting_in", "belonging")
THEORY_CATEGORIES = ("review_concept", "review_outcome", "actor", "new_outcome", "new_concept")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: str
    required: bool = True  # a blank value is a problem
    allowed: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    unique: bool = False
    optional: bool = False  # the column may be left out of the file (read as all blank)

    def rule_text(self) -> str:
        """The allowed values in words, for the data dictionary."""
        parts = []
        if self.allowed:
            parts.append("one of " + ", ".join(str(a) for a in self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum:g} to {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f"at least {self.minimum:g}")
        if self.kind == DATE:
            parts.append("YYYY-MM-DD")
        if self.pattern == CODE_PATTERN:
            parts.append("dotted lower-case code")
        elif self.pattern == ID_PATTERN:
            parts.append("letters, digits, _ . -")
        if self.unique:
            parts.append("unique")
        parts.append("required" if self.required else "may be blank")
        if self.optional:
            parts.append("optional column (may be left out)")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns that together identify a row
    per_site: bool = False  # has a site_id column
    extra: dict = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _id(name, meaning, **kw):
    return Column(name, TEXT, meaning, pattern=ID_PATTERN, **kw)


def _optional(name, meaning, **kw):
    return Column(name, TEXT, meaning, required=False, optional=True, **kw)


JUDGEMENTS = ("high", "moderate", "low")


def _score(name, meaning, lo, hi):
    return Column(name, INTEGER, meaning, required=False, minimum=lo, maximum=hi)


TABLES: tuple[Table, ...] = (
    Table(
        "sites",
        "One row per study site (one link worker and the practice or practices they serve).",
        (
            _id("site_id", "Site identifier.", unique=True),
            Column("region", TEXT, "Region of England."),
            Column("rurality", TEXT, "Settlement type of the area served.", allowed=("urban", "rural", "mixed")),
            Column("imd_quintile", INTEGER, "Index of Multiple Deprivation quintile of the area served (1 = most deprived).", minimum=1, maximum=5),
            Column("employer", TEXT, "Who employs the link worker: primary care or a voluntary, community and social enterprise organisation.", allowed=("primary_care", "vcse")),
            Column("population_served", INTEGER, "Registered patients of the practice(s) served.", minimum=1),
            Column("lw_months_in_post", INTEGER, "Months the link worker had been in the role when fieldwork began.", minimum=0),
            Column("team_model", TEXT, "Whether the link worker works alone or in a social prescribing team.", allowed=("sole", "team")),
            Column("fieldwork_start", DATE, "First day of fieldwork at the site."),
            Column("fieldwork_end", DATE, "Last day of fieldwork at the site."),
        ),
        key=("site_id",),
        per_site=True,
    ),
    Table(
        "participants",
        "One row per interviewed person: patients, link workers, health professionals and voluntary-sector staff.",
        (
            _id("participant_id", "Pseudonymous participant identifier (shares one namespace with org_id).", unique=True),
            _id("site_id", "Site the participant belongs to (sites.csv)."),
            Column("group", TEXT, "Participant group.", allowed=GROUPS),
            Column("role", TEXT, "Role within the group, e.g. gp, practice_manager, nurse, vcse_worker; 'patient' for patients."),
            Column("age_band", TEXT, "Age band in years.", required=False, allowed=("18-29", "30-44", "45-59", "60-74", "75+")),
            Column("gender", TEXT, "Gender as reported.", required=False, allowed=("woman", "man", "non_binary", "not_stated")),
            Column("referral_date", DATE, "Date of referral to the link worker; patients only, required for them.", required=False),
        ),
        key=("participant_id",),
        per_site=True,
    ),
    Table(
        "interviews",
        "One row per research interview.",
        (
            _id("interview_id", "Interview identifier.", unique=True),
            _id("participant_id", "Who was interviewed (participants.csv)."),
            Column("wave", INTEGER, "1 = first interview; 2 = follow-up 9-12 months later.", allowed=(1, 2)),
            Column("date", DATE, "Date of the interview."),
            Column("mode", TEXT, "How the interview was held.", allowed=("in_person", "telephone", "video")),
            Column("duration_min", INTEGER, "Length in minutes.", required=False, minimum=1, maximum=300),
        ),
        key=("interview_id",),
    ),
    Table(
        "questionnaires",
        "Patients' ONS4 well-being and General Self-Efficacy answers at each interview wave; blanks are unanswered items.",
        (
            _id("participant_id", "Patient who answered (participants.csv, group patient)."),
            Column("wave", INTEGER, "Interview wave the answers belong to.", allowed=(1, 2)),
            Column("completed_date", DATE, "Date the questionnaire was completed."),
            _score("ons_life_satisfaction", "ONS4: how satisfied with life nowadays (0 not at all .. 10 completely).", 0, 10),
            _score("ons_worthwhile", "ONS4: how far the things done in life are worthwhile (0-10).", 0, 10),
            _score("ons_happy", "ONS4: how happy yesterday (0-10).", 0, 10),
            _score("ons_anxious", "ONS4: how anxious yesterday (0-10); lower is better.", 0, 10),
            *(_score(item, f"General Self-Efficacy Scale item {int(item[-2:])} (1 not at all true .. 4 exactly true).", 1, 4) for item in GSE_ITEMS),
        ),
        key=("participant_id", "wave"),
    ),
    Table(
        "gp_contacts",
        "One row per GP contact of a patient, from the practice record.",
        (
            _id("participant_id", "Patient (participants.csv, group patient)."),
            Column("contact_date", DATE, "Date of the contact."),
            Column("contact_type", TEXT, "Kind of contact.", allowed=("face_to_face", "telephone", "online", "home_visit")),
        ),
    ),
    Table(
        "observations",
        "Fieldwork observation of the link worker's time use: one row per observed activity.",
        (
            _id("site_id", "Site observed."),
            Column("date", DATE, "Fieldwork day."),
            Column("activity", TEXT, "What the link worker was doing.", allowed=("patient_contact", "practice_meeting", "community_engagement", "admin", "supervision")),
            Column("minutes", INTEGER, "Minutes spent.", minimum=1, maximum=720),
            Column("with_group", TEXT, "Who the link worker was with.", allowed=("patient", "practice_staff", "voluntary_sector", "manager", "alone")),
        ),
        per_site=True,
    ),
    Table(
        "organisations",
        "Organisations around each site: practices, networks, voluntary-sector and council services.",
        (
            _id("org_id", "Organisation identifier (shares one namespace with participant_id).", unique=True),
            _id("site_id", "Site the organisation was mapped in."),
            Column("org_type", TEXT, "Kind of organisation.", allowed=("general_practice", "primary_care_network", "vcse", "council_service")),
            Column("label", TEXT, "Pseudonymous display label."),
        ),
        key=("org_id",),
        per_site=True,
    ),
    Table(
        "connections",
        "Stakeholder ties mapped at each site; ends are participant_id or org_id of that site.",
        (
            _id("site_id", "Site the tie was mapped in."),
            _id("source_id", "One end of the tie."),
            _id("target_id", "Other end of the tie."),
            Column("relation", TEXT, "Kind of tie.", allowed=("works_with", "refers_to", "supports", "member_of", "manages")),
            Column("weight", NUMBER, "Strength of the tie (1 weak .. 5 strong).", minimum=1, maximum=5),
        ),
        key=("site_id", "source_id", "target_id", "relation"),
        per_site=True,
    ),
    Table(
        "codebook",
        "Codes applied in the qualitative analysis; dotted ids nest under their parent.",
        (
            Column("code_id", TEXT, "Dotted code identifier, e.g. holding.waiting.", pattern=CODE_PATTERN, unique=True),
            Column("parent_id", TEXT, "Parent code (blank for a top-level code).", required=False, pattern=CODE_PATTERN),
            Column("label", TEXT, "Readable label."),
            Column("kind", TEXT, "Role of the code in realist analysis.", allowed=("concept", "context", "mechanism", "outcome")),
            Column("origin", TEXT, "Whether the code came from the earlier realist review or from this evaluation.", allowed=("review", "evaluation")),
        ),
        key=("code_id",),
    ),
    Table(
        "segments",
        "Coded stretches of data: interview excerpts, field notes, debrief notes and documents.",
        (
            _id("segment_id", "Segment identifier.", unique=True),
            Column("source", TEXT, "Kind of data the segment comes from.", allowed=("interview", "observation", "debrief", "document")),
            _id("interview_id", "Interview the excerpt comes from (interview segments only).", required=False),
            _id("site_id", "Site the segment belongs to."),
            _id("participant_id", "Who is speaking or observed (blank for documents).", required=False),
            Column("wave", INTEGER, "Interview wave (blank outside interviews).", required=False, allowed=(1, 2)),
            Column("text", TEXT, "The excerpt or note."),
        ),
        key=("segment_id",),
        per_site=True,
    ),
    Table(
        "codings",
        "Which codes were applied to which segments.",
        (
            _id("segment_id", "Segment coded (segments.csv)."),
            Column("code_id", TEXT, "Code applied (codebook.csv).", pattern=CODE_PATTERN),
            _optional("coder", "Who applied the code (a pseudonymous coder id); where two or more coders coded "
                      "a segment, inter-coder agreement is computed on it.", pattern=ID_PATTERN),
        ),
        key=("segment_id", "code_id", "coder"),
    ),
    Table(
        "cmocs",
        "Context-mechanism-outcome configurations under test.",
        (
            _id("cmoc_id", "CMOC identifier.", unique=True),
            Column("context", TEXT, "The context in which the mechanism fires."),
            Column("mechanism", TEXT, "The mechanism (resource and response)."),
            Column("outcome", TEXT, "The outcome it produces."),
            _id("proposition_id", "Programme theory node the CMOC tests (programme_theory_nodes.csv)."),
            Column("origin", TEXT, "Initial programme theory (review) or added in this evaluation.", allowed=("review", "evaluation")),
            _optional("refined_context", "The context as refined by the evidence (blank: unchanged)."),
            _optional("refined_mechanism", "The mechanism as refined by the evidence (blank: unchanged)."),
            _optional("refined_outcome", "The outcome as refined by the evidence (blank: unchanged)."),
        ),
        key=("cmoc_id",),
    ),
    Table(
        "cmoc_evidence",
        "Segments cited as evidence for or against each CMOC.",
        (
            _id("cmoc_id", "CMOC (cmocs.csv)."),
            _id("segment_id", "Segment cited (segments.csv)."),
            Column("stance", TEXT, "What the segment does to the CMOC.", allowed=("supports", "refutes", "refines")),
            _optional("relevance", "How directly the segment speaks to the CMOC (the realist judgement of relevance).",
                      allowed=JUDGEMENTS),
            _optional("rigour", "How trustworthy the segment is as evidence (the realist judgement of rigour).",
                      allowed=JUDGEMENTS),
        ),
        key=("cmoc_id", "segment_id"),
    ),
    Table(
        "programme_theory_nodes",
        "Elements of the programme theory, in the report's five categories.",
        (
            _id("node_id", "Node identifier.", unique=True),
            Column("label", TEXT, "Readable label."),
            Column("category", TEXT, "Category in the report's programme theory figure.", allowed=THEORY_CATEGORIES),
        ),
        key=("node_id",),
    ),
    Table(
        "programme_theory_edges",
        "Directed links between programme theory nodes.",
        (
            _id("source", "Node the link starts from."),
            _id("target", "Node the link points to."),
            Column("relation", TEXT, "How the source acts on the target, e.g. fosters, enables, reduces."),
            Column("origin", TEXT, "Initial theory (review) or added by the evaluation.", allowed=("review", "evaluation")),
        ),
        key=("source", "target"),
    ),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# dataset.yml keys: (meaning, required)
METADATA = {
    "name": ("Short name of the dataset, shown on every page.", True),
    "synthetic": ("true for generated data; every page then carries a synthetic-data banner.", True),
    "gp_extract_end": ("Last date covered by the GP contact extract (YYYY-MM-DD).", True),
    "seed": ("Random seed that generated a synthetic dataset.", False),
    "description": ("Free text about the dataset.", False),
    "study_start": ("First day of the study period (default 2021-11-01).", False),
    "study_end": ("Last day of the study period (default 2023-08-31).", False),
    "gp_extract_start": ("First date covered by the GP contact extract (default 36 months before study_start).", False),
}
DEFAULT_STUDY_START = "2021-11-01"
DEFAULT_STUDY_END = "2023-08-31"
