"""What a site's chapter opens with: its title (what kind of site it is) and its context in a
sentence, computed from its row of sites.csv. Both are glued into the page (myst-nb passes them as
text, never as markup), so a data value cannot become MyST or HTML."""

from __future__ import annotations

import pandas as pd

EMPLOYED_BY = {"primary_care": "primary-care-employed", "vcse": "VCSE-employed"}


def site_title_phrase(site: pd.Series) -> str:
    """E.g. 'Site S3: rural, VCSE-employed, IMD quintile 4'."""
    employer = EMPLOYED_BY.get(site["employer"], f"employed by {site['employer']}")
    return f"Site {site['site_id']}: {site['rurality']}, {employer}, IMD quintile {int(site['imd_quintile'])}"


def site_context_phrase(site: pd.Series) -> str:
    """The site's setting and its link worker in one sentence."""
    employer = "a primary care employer" if site["employer"] == "primary_care" else "a VCSE organisation"
    team = "works alone" if site["team_model"] == "sole" else "is part of a social prescribing team"
    article = "An" if str(site["rurality"])[:1] in "aeiou" else "A"
    return (f"{article} {site['rurality']} site in {site['region']}, serving about {int(site['population_served']):,} people "
            f"in an area of deprivation quintile {int(site['imd_quintile'])} (1 = most deprived). Its link worker, "
            f"employed by {employer}, had been in post {int(site['lw_months_in_post'])} months at fieldwork "
            f"and {team}.")
