"""How synthesis pages change at national scale.

Up to SITES_IN_DETAIL sites, a synthesis names and draws every site (a forest plot with a row
per site, each CMOC's verdict and excerpts at every site). Beyond that (a national evaluation
has a site per primary care network, about 1,250), it draws the sites as a distribution and
summarises them, and each site's own chapter keeps the detail: a row per site of 1,250 sites
made a forest plot 1,400 inches tall and a realist page of tens of megabytes.
"""

SITES_IN_DETAIL = 30


def in_detail(n_sites: int) -> bool:
    """Whether a synthesis of `n_sites` sites names and draws every site."""
    return n_sites <= SITES_IN_DETAIL
