"""Fixed content of the synthetic study: site design, planted parameters,
codebook, programme theory and CMOCs.

Everything here is written for the project (no sentence is taken from the
study report). Numbers that shape the planted effects live in this module so
that `truth.json` can record them and the tests can read them back.
"""

from __future__ import annotations

import datetime as dt

STUDY_START = dt.date(2021, 11, 1)
STUDY_END = dt.date(2023, 8, 31)
GP_EXTRACT_START = dt.date(2019, 11, 1)
GP_EXTRACT_END = dt.date(2024, 6, 30)
# Random sites start fieldwork on a Monday in this range, so that wave-2
# interviews 9-12 months after wave 1 still fall inside the study period.
FIELDWORK_FIRST_START = dt.date(2021, 11, 1)
FIELDWORK_LAST_START = dt.date(2022, 10, 10)
FIELDWORK_DAYS = 19  # Monday of week 1 to Friday of week 3

LEVELS = ("bolted_on", "fitting_in", "belonging")
LEVEL_SCORE = {"bolted_on": -1, "fitting_in": 0, "belonging": 1}

REGIONS = (
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
)

# The seven purposively sampled sites. The first three cover all three
# embeddedness levels, so that any dataset of three or more sites has each.
DESIGN_SITES = (
    dict(region="North East", rurality="urban", imd_quintile=1, employer="primary_care",
         population_served=41200, lw_months_in_post=26, team_model="team",
         fieldwork_start=dt.date(2021, 11, 8), embeddedness="belonging"),
    dict(region="London", rurality="urban", imd_quintile=2, employer="vcse",
         population_served=57800, lw_months_in_post=9, team_model="team",
         fieldwork_start=dt.date(2022, 1, 10), embeddedness="bolted_on"),
    dict(region="South West", rurality="rural", imd_quintile=4, employer="vcse",
         population_served=11600, lw_months_in_post=40, team_model="sole",
         fieldwork_start=dt.date(2022, 2, 28), embeddedness="fitting_in"),
    dict(region="West Midlands", rurality="mixed", imd_quintile=3, employer="primary_care",
         population_served=23900, lw_months_in_post=14, team_model="sole",
         fieldwork_start=dt.date(2022, 4, 25), embeddedness="fitting_in"),
    dict(region="East of England", rurality="rural", imd_quintile=5, employer="primary_care",
         population_served=8700, lw_months_in_post=4, team_model="sole",
         fieldwork_start=dt.date(2022, 6, 6), embeddedness="bolted_on"),
    dict(region="Yorkshire and the Humber", rurality="urban", imd_quintile=1, employer="vcse",
         population_served=36500, lw_months_in_post=31, team_model="team",
         fieldwork_start=dt.date(2022, 7, 18), embeddedness="belonging"),
    dict(region="South East", rurality="mixed", imd_quintile=2, employer="primary_care",
         population_served=19300, lw_months_in_post=7, team_model="sole",
         fieldwork_start=dt.date(2022, 9, 12), embeddedness="bolted_on"),
)
# Position (1-based, modulo 7) of sites whose patients see their GP more after
# referral: the link worker picks up medical problems. Site 3 in the design.
RISING_GP_POSITION = 3

# Totals at seven sites; other sizes scale them by n/7.
PROFESSIONALS_AT_7 = 86  # besides the link workers
PATIENTS_AT_7 = 61
FOLLOWED_UP_AT_7 = 41

HP_ROLES = ("gp", "practice_manager", "nurse", "care_coordinator", "health_wellbeing_coach",
            "receptionist", "allied_health_professional")
VS_ROLES = ("vcse_manager", "vcse_worker")
VS_SHARE = 5 / 12  # of the non link worker professionals at a site

AGE_BANDS = ("18-29", "30-44", "45-59", "60-74", "75+")
GENDERS = ("woman", "man", "non_binary", "not_stated")
DEMOGRAPHICS = {
    "patient": {"age": (0.12, 0.22, 0.28, 0.24, 0.14), "gender": (0.6, 0.36, 0.01, 0.03)},
    "staff": {"age": (0.14, 0.42, 0.34, 0.10, 0.0), "gender": (0.74, 0.24, 0.01, 0.01)},
    "blank_probability": 0.03,
}

INTERVIEW = {
    # (mode probabilities in_person, telephone, video), (mean, sd) minutes
    "patient_1": ((0.7, 0.2, 0.1), (45, 12)),
    "patient_2": ((0.25, 0.5, 0.25), (35, 10)),
    "staff_1": ((0.6, 0.15, 0.25), (40, 10)),
    "link_worker_1": ((0.9, 0.0, 0.1), (75, 15)),
    "link_worker_2": ((0.3, 0.2, 0.5), (60, 12)),
    "blank_duration_probability": 0.02,
}
MODES = ("in_person", "telephone", "video")
REFERRAL_WEEKS_BEFORE = (2, 26)

# Questionnaires: a latent well-being factor z ~ N(0, 1) per patient.
UK_MEANS = {"ons_life_satisfaction": 7.45, "ons_worthwhile": 7.73, "ons_happy": 7.39, "ons_anxious": 3.23}
ONS = {
    "baseline_mean": {"ons_life_satisfaction": 5.0, "ons_worthwhile": 5.3, "ons_happy": 4.9, "ons_anxious": 5.8},
    "loading": {"ons_life_satisfaction": 1.8, "ons_worthwhile": 1.6, "ons_happy": 1.8, "ons_anxious": -1.5},
    "item_noise_sd": 0.7,
    "imd_shift_per_quintile": 0.15,  # baseline + shift * (imd_quintile - 3); anxiety - shift
    "change_by_level": {
        "bolted_on": {"ons_life_satisfaction": 0.6, "ons_worthwhile": 0.6, "ons_happy": 0.6, "ons_anxious": -0.7},
        "fitting_in": {"ons_life_satisfaction": 1.1, "ons_worthwhile": 1.1, "ons_happy": 1.1, "ons_anxious": -1.0},
        "belonging": {"ons_life_satisfaction": 1.6, "ons_worthwhile": 1.6, "ons_happy": 1.6, "ons_anxious": -1.3},
    },
    "latent_change_sd": 0.3,
}
GSE = {
    "item_baseline_mean": 2.5,  # total about 25 of 40
    "latent_correlation_with_wellbeing": 0.6,
    "item_loading": 0.55,
    "item_noise_sd": 0.45,
    "item_change_by_level": {"bolted_on": 0.15, "fitting_in": 0.2, "belonging": 0.25},
}
MISSING = {
    "item_blank_probability": 0.025,
    "gse_partial_row_share": 0.03,  # rows that skip 4-6 GSE items (GSE total missing)
    "gse_partial_blanks": (4, 6),
}
ATTRITION = {
    "mechanism": "not at random: patients with lower baseline latent well-being are more likely to be lost",
    "retention_weight": "exp(slope * z), z = baseline latent well-being",
    "slope": 0.9,
    "selection": "exactly round(41 * n_sites / 7) patients kept, weighted sampling without replacement",
}

# GP contacts: Poisson counts with a per-day rate, month by month around referral.
# Month -k covers [referral - k months, referral - k + 1 months); month +k covers
# (referral + k - 1 months, referral + k months]. The referral day itself is
# outside both and may hold one contact. The log rate of patient i at site s on a
# day in month k is
#   log(baseline_rate / DAYS_PER_MONTH) + log(site base) + log(frailty_i)
#   + calendar_log_trend_per_year * (years since GP_EXTRACT_START)
#   + log(anticipation_rate_ratio) * [-anticipation_months <= k <= -1]
#   + log(site level ratio) * [k >= 1]
#   + log(slope_rate_ratio) * (k - 1) * [k >= 1]
# with no trend in time since referral and, at the default slope_rate_ratio of 1, no
# slope change (a test sets it to plant one): the segmented model
# of helpers.analysis.gp_change has exactly these terms (and more), so it can
# recover them. A site's level ratio is level_rate_ratio * the multiplier of its
# embeddedness level (or rising_site_after_multiplier where the link worker picks
# up medical problems); truth.json records each site's ratio and their geometric
# mean (the pooled target). The "null" scenario keeps the run-up and the calendar
# trend (so a naive before/after comparison still shows a fall: regression to the
# mean) but sets every site's level ratio to 1.
DAYS_PER_MONTH = 365.25 / 12
GP = {
    "baseline_rate": 0.5,  # contacts per patient per average-length month
    "anticipation_months": 4,
    "anticipation_rate_ratio": 1.8,
    "level_rate_ratio": 0.8,
    "slope_rate_ratio": 1.0,  # per month after referral, beyond the shared trend (1: no slope change)
    "after_multiplier_by_level": {"bolted_on": 1.05, "fitting_in": 0.95, "belonging": 0.85},
    "rising_site_after_multiplier": 2.2,
    "calendar_log_trend_per_year": 0.05,
    "site_baseline_lognormal_sd": 0.15,
    "patient_frailty_gamma_shape": 3.0,
    "referral_day_contact_probability": 0.35,
    "contact_types": ("face_to_face", "telephone", "online", "home_visit"),
    "contact_type_probabilities": (0.5, 0.35, 0.1, 0.05),
}
SCENARIOS = ("planted", "null")  # null: no GP level change and no questionnaire change

OBSERVATION = {
    "activities": ("patient_contact", "practice_meeting", "community_engagement", "admin", "supervision"),
    "activity_probabilities_by_level": {
        "bolted_on": (0.34, 0.05, 0.14, 0.37, 0.10),
        "fitting_in": (0.38, 0.12, 0.18, 0.24, 0.08),
        "belonging": (0.36, 0.22, 0.20, 0.14, 0.08),
    },
    "minutes_range": {"patient_contact": (20, 60), "practice_meeting": (20, 60),
                      "community_engagement": (45, 120), "admin": (20, 90), "supervision": (30, 60)},
    # who the link worker is with, per activity: (groups, probabilities)
    "with_group": {
        "patient_contact": (("patient", "voluntary_sector"), (0.9, 0.1)),
        "practice_meeting": (("practice_staff",), (1.0,)),
        "community_engagement": (("voluntary_sector", "patient"), (0.85, 0.15)),
        "supervision": (("manager",), (1.0,)),
    },
    "admin_with_practice_staff_by_level": {"bolted_on": 0.0, "fitting_in": 0.15, "belonging": 0.35},
    "activities_per_day": (4, 7),
}

NETWORK = {
    # link worker ties into the practice: share of practice staff tied, weights
    "lw_practice_tie_share_by_level": {"bolted_on": 0.2, "fitting_in": 0.55, "belonging": 0.9},
    "lw_practice_weight_range_by_level": {"bolted_on": (1, 2), "fitting_in": (2, 3), "belonging": (3, 5)},
    "cross_group_tie_probability": 0.3,  # at most one direct practice-VCSE tie per site
    "practice_pair_tie_probability": 0.45,
    "vcse_org_pair_tie_probability": 0.3,
}

# Qualitative coding.
SEGMENTS_PER_INTERVIEW = {
    ("patient", 1): (3, 5), ("patient", 2): (2, 4), ("health_professional", 1): (2, 4),
    ("voluntary_sector", 1): (2, 4), ("link_worker", 1): (6, 9), ("link_worker", 2): (4, 6),
}
SEGMENTS_PER_DAY = {"observation": (2, 4), "debrief": (1, 2)}
DOCUMENTS_PER_SITE = (4, 8)
CODES_PER_SEGMENT_PROBABILITIES = (0.45, 0.4, 0.15)  # 1, 2, 3 codes
EMBEDDEDNESS_SEGMENTS = (32, 40)
EMBEDDEDNESS_PLANTED_SHARE = 0.8
# how the rest of a site's embeddedness codes split over the other two levels
EMBEDDEDNESS_REST = {
    "bolted_on": {"fitting_in": 0.75, "belonging": 0.25},
    "fitting_in": {"bolted_on": 0.5, "belonging": 0.5},
    "belonging": {"fitting_in": 0.75, "bolted_on": 0.25},
}
HOLDING_RATE_BY_IMD = {1: 0.30, 2: 0.25, 3: 0.20, 4: 0.15, 5: 0.10}
HOLDING_FUNCTIONS = {"holding.waiting": 0.35, "holding.preparing": 0.25,
                     "holding.staff_burden": 0.15, "holding.witness": 0.25}
ANCHOR_RATE = {"patient": 0.5, "link_worker": 0.1, "observation": 0.1, "other": 0.02}
ANCHOR_PARTS = {"anchor_point.trust": 0.4, "anchor_point.hope": 0.35, "anchor_point.readiness": 0.25}
JOB_SATISFACTION_RATE_BY_LEVEL = {"bolted_on": 0.08, "fitting_in": 0.18, "belonging": 0.32}

# code_id, parent_id, label, kind, origin (parents first)
CODEBOOK = (
    ("holding", None, "Holding: the link worker contains patients' difficulties", "concept", "evaluation"),
    ("holding.waiting", "holding", "Holding while patients wait for other services", "mechanism", "evaluation"),
    ("holding.preparing", "holding", "Holding while patients get ready to change", "mechanism", "evaluation"),
    ("holding.staff_burden", "holding", "Holding that eases the emotional load on practice staff", "mechanism", "evaluation"),
    ("holding.witness", "holding", "Holding as witnessing distress that cannot be fixed", "mechanism", "evaluation"),
    ("holding.overload", "holding", "Holding too many complex cases at once", "mechanism", "evaluation"),
    ("holding.burnout", "holding", "The toll of holding: exhaustion and burnout", "outcome", "evaluation"),
    ("holding.support", "holding", "Training and supervision that holding needs", "context", "evaluation"),
    ("holding.unrecognised", "holding", "Holding unseen by managers and funders", "context", "evaluation"),
    ("micro_discretion", None, "Micro-discretions: small-scale judgement in the role", "concept", "evaluation"),
    ("micro_discretion.time", "micro_discretion", "Discretion over time spent with patients", "mechanism", "evaluation"),
    ("micro_discretion.place", "micro_discretion", "Discretion over where patients are seen", "mechanism", "evaluation"),
    ("micro_discretion.referrals", "micro_discretion", "Discretion over which referrals are taken on", "mechanism", "evaluation"),
    ("micro_discretion.training", "micro_discretion", "Discretion over training sought", "mechanism", "evaluation"),
    ("micro_discretion.data", "micro_discretion", "Discretion over data collected and shared", "mechanism", "evaluation"),
    ("micro_discretion.boundary", "micro_discretion", "Limits placed on discretion", "context", "evaluation"),
    ("micro_discretion.strain", "micro_discretion", "Too much discretion: unclear remit and strain", "mechanism", "evaluation"),
    ("anchor_point", None, "Anchor point: a steady base that prompts change", "concept", "evaluation"),
    ("anchor_point.trust", "anchor_point", "Patient trust in the link worker", "mechanism", "evaluation"),
    ("anchor_point.hope", "anchor_point", "Hope from options the link worker suggests", "mechanism", "evaluation"),
    ("anchor_point.readiness", "anchor_point", "Readiness and capacity to take a next step", "mechanism", "evaluation"),
    ("embeddedness", None, "Embeddedness of the link worker in primary care", "concept", "evaluation"),
    ("embeddedness.bolted_on", "embeddedness", "Bolted on: added with little thought to fit", "context", "evaluation"),
    ("embeddedness.fitting_in", "embeddedness", "Fitting in: included but not well understood", "context", "evaluation"),
    ("embeddedness.belonging", "embeddedness", "Belonging: role shaped jointly with the practice", "context", "evaluation"),
    ("buy_in", None, "Buy-in to social prescribing and to the link worker", "concept", "review"),
    ("buy_in.patient", "buy_in", "Patient buy-in", "mechanism", "review"),
    ("buy_in.professional", "buy_in", "Practice staff buy-in", "mechanism", "review"),
    ("buy_in.vcse", "buy_in", "Voluntary-sector buy-in", "mechanism", "review"),
    ("connections", None, "Connections built by the link worker", "concept", "review"),
    ("connections.patient", "connections", "Connection between link worker and patient", "mechanism", "review"),
    ("connections.practice", "connections", "Connection between link worker and practice staff", "mechanism", "review"),
    ("connections.vcse", "connections", "Connection between link worker and voluntary sector", "mechanism", "review"),
    ("connections.feedback", "connections", "Feedback to referrers on what happened to patients", "mechanism", "evaluation"),
    ("social_capital", None, "Patients' social capital mobilised", "mechanism", "review"),
    ("patient_activation", None, "Patients investing in their own health", "mechanism", "review"),
    ("outcome", None, "Outcomes", "outcome", "review"),
    ("outcome.wellbeing", "outcome", "Patient well-being", "outcome", "review"),
    ("outcome.gp_contact_down", "outcome", "Fewer GP contacts", "outcome", "review"),
    ("outcome.gp_contact_up", "outcome", "More GP contacts (medical needs found, self-management)", "outcome", "review"),
    ("outcome.person_centred_care", "outcome", "Person-centred care", "outcome", "evaluation"),
    ("outcome.job_satisfaction", "outcome", "Link worker job satisfaction", "outcome", "evaluation"),
    ("outcome.self_confidence_hope", "outcome", "Patient self-confidence and hope", "outcome", "evaluation"),
    ("context", None, "Contexts", "context", "evaluation"),
    ("context.deprivation", "context", "Socio-economic deprivation of the area", "context", "evaluation"),
    ("context.service_gaps", "context", "Gaps and waiting lists in local services", "context", "evaluation"),
    ("context.management_support", "context", "Management and supervision around the role", "context", "evaluation"),
    ("context.vcse_funding", "context", "Funding and capacity of voluntary-sector groups", "context", "review"),
    ("context.role_definition", "context", "Role defined locally with the people around it", "context", "evaluation"),
    ("context.private_space", "context", "A private, non-clinical room for seeing patients", "context", "evaluation"),
)

# Short phrases used to compose the artificial segment texts.
CODE_PHRASES = {
    "holding.waiting": "holding: keeping a patient company while another service is awaited",
    "holding.preparing": "holding: staying alongside a patient who is not yet ready to change",
    "holding.staff_burden": "holding: taking some emotional weight off practice colleagues",
    "holding.witness": "holding: listening to distress when nothing can be fixed",
    "holding.overload": "a caseload with more complex patients than one person can hold",
    "holding.burnout": "feeling drained by carrying patients' difficulties",
    "holding.support": "training and supervision that would help with holding",
    "holding.unrecognised": "holding work that managers and funders do not count",
    "micro_discretion.time": "choosing how long to spend with a patient",
    "micro_discretion.place": "choosing where to meet a patient",
    "micro_discretion.referrals": "deciding which referrals to accept",
    "micro_discretion.training": "picking training for the role",
    "micro_discretion.data": "deciding what data to record and share",
    "micro_discretion.boundary": "rules that narrow what the link worker may do",
    "micro_discretion.strain": "an open-ended remit that feels unsupported",
    "anchor_point.trust": "a patient coming to trust the link worker",
    "anchor_point.hope": "options that give a patient some hope",
    "anchor_point.readiness": "whether a patient is ready for a next step",
    "embeddedness.bolted_on": "the role being added to the practice with little planning",
    "embeddedness.fitting_in": "being invited in but not really understood",
    "embeddedness.belonging": "the practice and link worker shaping the role together",
    "buy_in.patient": "a patient's view of social prescribing",
    "buy_in.professional": "practice staff confidence in the link worker",
    "buy_in.vcse": "community groups' willingness to take referrals",
    "connections.patient": "the relationship between link worker and patient",
    "connections.practice": "links between the link worker and practice staff",
    "connections.vcse": "links between the link worker and community groups",
    "connections.feedback": "telling the referring clinician what came of a referral",
    "social_capital": "new social contacts and support",
    "patient_activation": "a patient taking more charge of their health",
    "outcome.wellbeing": "changes in how a patient feels",
    "outcome.gp_contact_down": "seeing the GP less often",
    "outcome.gp_contact_up": "a medical issue found that needs the GP",
    "outcome.person_centred_care": "support shaped around the person",
    "outcome.job_satisfaction": "satisfaction in the link worker job",
    "outcome.self_confidence_hope": "a patient feeling more confident and hopeful",
    "context.deprivation": "money, housing and work pressures in the area",
    "context.service_gaps": "long waits and missing local services",
    "context.management_support": "supervision and management of the role",
    "context.vcse_funding": "insecure funding of community groups",
    "context.role_definition": "agreeing locally what the role is for",
    "context.private_space": "having a private room that is not a clinic",
}

# Codes besides the planted families, drawn to fill a segment, by speaker.
FILL_WEIGHTS = {
    "patient": {"social_capital": 3, "patient_activation": 3, "outcome.self_confidence_hope": 3,
                "outcome.wellbeing": 3, "outcome.gp_contact_down": 2, "outcome.gp_contact_up": 1,
                "buy_in.patient": 3, "connections.patient": 3, "micro_discretion.time": 1,
                "micro_discretion.place": 1, "context.service_gaps": 1, "context.deprivation": 1,
                "outcome.person_centred_care": 2},
    "health_professional": {"buy_in.professional": 4, "connections.practice": 3, "outcome.gp_contact_down": 2,
                            "outcome.gp_contact_up": 1, "micro_discretion.time": 1, "micro_discretion.referrals": 2,
                            "micro_discretion.training": 1, "context.service_gaps": 2,
                            "context.management_support": 1, "outcome.person_centred_care": 1,
                            "micro_discretion.boundary": 1, "context.deprivation": 1},
    "voluntary_sector": {"buy_in.vcse": 4, "connections.vcse": 4, "context.vcse_funding": 3, "social_capital": 2,
                         "micro_discretion.referrals": 1, "context.service_gaps": 1, "context.deprivation": 1},
    "link_worker": {"micro_discretion.time": 2, "micro_discretion.place": 2, "micro_discretion.referrals": 2,
                    "micro_discretion.training": 1, "micro_discretion.data": 2, "micro_discretion.boundary": 2,
                    "micro_discretion.strain": 1.5, "outcome.person_centred_care": 2, "connections.vcse": 2,
                    "connections.practice": 2, "context.management_support": 2, "buy_in.professional": 1,
                    "context.service_gaps": 1, "outcome.gp_contact_up": 0.5, "context.deprivation": 1},
    "observation": {"connections.practice": 2, "connections.vcse": 2, "connections.patient": 2,
                    "micro_discretion.time": 2, "micro_discretion.place": 1, "outcome.person_centred_care": 1,
                    "buy_in.professional": 1, "outcome.gp_contact_up": 0.5},
    "document": {"micro_discretion.data": 2, "micro_discretion.referrals": 2, "context.management_support": 2,
                 "buy_in.patient": 1, "context.vcse_funding": 1, "context.service_gaps": 1},
}

# Programme theory (report Figure 1, rebuilt in the project's own terms).
THEORY_NODES = (
    ("link_worker", "Link worker", "actor"),
    ("patients", "Patients", "actor"),
    ("primary_care_staff", "Primary care staff", "actor"),
    ("vcse_organisations", "Voluntary and community organisations", "actor"),
    ("buy_in", "Buy-in to social prescribing and the link worker", "review_concept"),
    ("connections", "Connections with stakeholders", "review_concept"),
    ("social_capital", "Patients' social capital", "review_concept"),
    ("patient_activation", "Patient activation", "review_concept"),
    ("gp_contact_down", "Less contact with the GP", "review_outcome"),
    ("gp_contact_up", "More contact with the GP", "review_outcome"),
    ("patient_wellbeing", "Patient well-being", "review_outcome"),
    ("holding", "Holding", "new_concept"),
    ("micro_discretions", "Micro-discretions", "new_concept"),
    ("anchor_point", "Being an anchor point", "new_concept"),
    ("embeddedness", "Continuum of embeddedness", "new_concept"),
    ("person_centred_care", "Person-centred care", "new_outcome"),
    ("job_satisfaction", "Link worker job satisfaction", "new_outcome"),
    ("self_confidence_hope", "Patient self-confidence and hope", "new_outcome"),
)
THEORY_EDGES = (
    ("link_worker", "connections", "builds", "review"),
    ("patients", "buy_in", "gives", "review"),
    ("primary_care_staff", "buy_in", "gives", "review"),
    ("vcse_organisations", "buy_in", "gives", "review"),
    ("connections", "buy_in", "fosters", "review"),
    ("connections", "embeddedness", "shapes", "evaluation"),
    ("buy_in", "embeddedness", "shapes", "evaluation"),
    ("embeddedness", "buy_in", "reinforces", "evaluation"),
    ("embeddedness", "micro_discretions", "sets scope for", "evaluation"),
    ("embeddedness", "job_satisfaction", "fosters", "evaluation"),
    ("link_worker", "holding", "provides", "evaluation"),
    ("link_worker", "micro_discretions", "exercises", "evaluation"),
    ("link_worker", "anchor_point", "acts as", "evaluation"),
    ("holding", "person_centred_care", "enables", "evaluation"),
    ("micro_discretions", "person_centred_care", "enables", "evaluation"),
    ("micro_discretions", "job_satisfaction", "fosters", "evaluation"),
    ("person_centred_care", "self_confidence_hope", "fosters", "evaluation"),
    ("anchor_point", "self_confidence_hope", "fosters", "evaluation"),
    ("self_confidence_hope", "social_capital", "enables", "evaluation"),
    ("social_capital", "patient_activation", "prompts", "review"),
    ("social_capital", "patient_wellbeing", "improves", "review"),
    ("social_capital", "gp_contact_down", "can lead to", "review"),
    ("patient_activation", "gp_contact_up", "can lead to", "review"),
    ("anchor_point", "gp_contact_down", "can lead to", "evaluation"),
    ("anchor_point", "gp_contact_up", "can lead to", "evaluation"),
)

# CMOCs: id, context, mechanism, outcome, proposition node, origin,
# codes a citing segment must carry (any one), designed evidence pattern.
CMOCS = (
    ("CMOC01", "Practice staff know what the link worker offers and find them dependable",
     "Staff trust the role and refer patients whose needs fit it",
     "Referrals suit social prescribing and patients engage", "buy_in", "review",
     ("buy_in.professional", "connections.practice"), "supports"),
    ("CMOC02", "The link worker has time to get to know local community groups",
     "Groups and link worker build working trust",
     "Patients are connected to activities that last", "connections", "review",
     ("connections.vcse", "buy_in.vcse"), "supports"),
    ("CMOC03", "A patient joins community activities after referral",
     "A wider social network takes over some support the GP gave",
     "The patient contacts the GP less", "gp_contact_down", "review",
     ("social_capital", "outcome.gp_contact_down"), "mixed"),
    ("CMOC04", "Community groups are funded and not overstretched",
     "They are willing to accept referred patients",
     "Referrals are taken up", "buy_in", "review",
     ("buy_in.vcse", "context.vcse_funding"), "refines"),
    ("CMOC05", "An area with deprivation and long waits for services",
     "The link worker keeps in regular contact and listens",
     "Patients stay engaged and feel less alone while waiting", "holding", "evaluation",
     ("holding.waiting", "holding.preparing", "holding.staff_burden", "holding.witness"), "supports"),
    ("CMOC06", "The link worker may decide how long and where to see patients",
     "Support is fitted to each person",
     "Care is person-centred and the link worker enjoys the job", "micro_discretions", "evaluation",
     ("micro_discretion.time", "micro_discretion.place", "micro_discretion.referrals",
      "outcome.person_centred_care"), "supports"),
    ("CMOC07", "Management is thin and the remit is vague",
     "Wide discretion turns into uncertainty and overload",
     "The link worker is dissatisfied and thinks of leaving", "job_satisfaction", "evaluation",
     ("micro_discretion.strain", "micro_discretion.boundary", "context.management_support"), "supports"),
    ("CMOC08", "A patient has come to trust the link worker",
     "Suggested options give the patient hope",
     "The patient takes first steps towards change", "anchor_point", "evaluation",
     ("anchor_point.trust", "anchor_point.hope", "anchor_point.readiness",
      "outcome.self_confidence_hope"), "supports"),
    ("CMOC09", "A link worker is placed in a practice with little preparation",
     "GPs pass non-medical problems straight to the link worker",
     "GP appointments fall quickly", "gp_contact_down", "review",
     ("outcome.gp_contact_down", "embeddedness.bolted_on", "buy_in.professional"), "refutes"),
    ("CMOC10", "The practice negotiates the role with the link worker",
     "The link worker feels valued and can use their skills",
     "Job satisfaction and staying in post", "embeddedness", "evaluation",
     ("embeddedness.belonging", "embeddedness.fitting_in", "outcome.job_satisfaction"), "supports"),
    ("CMOC11", "A trusting relationship with a patient who has unmet medical needs",
     "The link worker encourages the patient to see the GP",
     "GP contact rises for a while", "gp_contact_up", "evaluation",
     ("outcome.gp_contact_up", "anchor_point.trust", "patient_activation"), "supports"),
    ("CMOC12", "The link worker holds many complex patients with little supervision",
     "The emotional load builds up and managers and funders do not see it",
     "The link worker becomes exhausted and may leave", "holding", "evaluation",
     ("holding.overload", "holding.burnout", "holding.support", "holding.unrecognised"), "supports"),
    ("CMOC13", "The link worker tells referrers what came of their referrals",
     "Referrers see what social prescribing can do",
     "They keep referring, and refer patients whose needs fit the role", "buy_in", "evaluation",
     ("connections.feedback",), "refines"),
)
# Codes drawn by their own stream, after the fill codes, so that adding them moved no other code:
# the downsides of holding and the support it needs, feedback to referrers, and two conditions the
# report's recommendations name. Probability that a segment of each speaker gains the code.
MAX_CODES_PER_SEGMENT = 4  # with the extra codes (planted and fill codes stop at three)
EXTRA_CODE_RATES = {
    "holding.overload": {"link_worker": 0.12, "health_professional": 0.04, "voluntary_sector": 0.04},
    "holding.burnout": {"link_worker": 0.10, "observation": 0.03},
    "holding.support": {"link_worker": 0.08, "health_professional": 0.03, "document": 0.10},
    "holding.unrecognised": {"link_worker": 0.07, "voluntary_sector": 0.04},
    "connections.feedback": {"health_professional": 0.08, "link_worker": 0.05, "document": 0.05},
    "context.role_definition": {"health_professional": 0.05, "link_worker": 0.05, "document": 0.10},
    "context.private_space": {"link_worker": 0.05, "patient": 0.03, "observation": 0.05},
}
# A fitting-in site whose embeddedness codes are split between the two ends (position 1-based, modulo 7):
# its planted level stays "fitting_in" for the outcomes, but its segments read bolted on or belonging.
SPLIT_SITE_POSITION = 4
SPLIT_LEVELS = {"bolted_on": 0.45, "fitting_in": 0.1, "belonging": 0.45}
# Double coding: a second coder codes this share of each site's segments and applies each of the lead
# coder's codes to it with probability SECOND_CODER_KEEP (and no other code).
CODERS = ("C1", "C2")
DOUBLE_CODED_SHARE = 0.2
SECOND_CODER_KEEP = 0.85
# Realist judgements of each cited segment (high, moderate, low).
JUDGEMENT_LEVELS = ("high", "moderate", "low")
RELEVANCE_PROBABILITIES = (0.55, 0.35, 0.10)
RIGOUR_PROBABILITIES = {"interview": (0.6, 0.3, 0.1), "observation": (0.5, 0.4, 0.1),
                        "debrief": (0.3, 0.5, 0.2), "document": (0.2, 0.5, 0.3)}
# Refined wording (context, mechanism, outcome; None = unchanged) for CMOCs the evidence amends.
REFINED_CMOCS = {
    "CMOC03": (None, "Patients who keep up community activities lean less on the GP",
               "GP contact falls for some patients and rises for those with medical needs found"),
    "CMOC04": ("Community groups have secure funding and spare capacity; where funding is short-term, "
               "groups ration places", None, "Referrals are taken up where capacity exists; elsewhere patients wait"),
    "CMOC09": (None, "GPs pass on non-medical problems only once they know the role",
               "GP appointments fall slowly, if at all"),
    "CMOC12": (None, None, "Burnout unless supervision and training are in place and the work is recognised"),
}
STANCE_PROBABILITIES = {  # supports, refutes, refines
    "supports": (0.8, 0.05, 0.15),
    "refutes": (0.15, 0.7, 0.15),
    "refines": (0.2, 0.1, 0.7),
    "mixed": (0.4, 0.35, 0.25),
}
STANCES = ("supports", "refutes", "refines")
EVIDENCE_PER_SITE = (3, 6)
# CMOC11 has evidence only where GP contacts rise or at every third site.
SPARSE_CMOC = "CMOC11"
