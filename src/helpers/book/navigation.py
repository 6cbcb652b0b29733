"""The sidebar's table of contents, resolved once per build instead of once per page.

For every page, Sphinx (7.4) resolves the whole table of contents, copying every
page's headings, marks the branch of the current page, and only then prunes the
tree to the depth the theme shows. With a page per site that is work in proportion
to the number of sites on every page, so the book's cost grew with the square of
its size even though the sidebar of a large study shows a few dozen entries.

Here the tree is resolved and pruned once per build (per set of options), and each
page gets a copy of the pruned tree with its own branch marked `current` and its
links made relative to it: the same HTML Sphinx writes, at a cost bounded by what
the sidebar shows. A collapsing sidebar (whose pruning depends on the page) keeps
Sphinx's own code.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.environment.adapters import toctree as sphinx_toctree
from sphinx.util.matching import Matcher


def install(app) -> None:
    """Give an HTML builder the once-resolved sidebar table of contents."""
    builder = app.builder
    if builder.format != "html" or not hasattr(builder, "_get_local_toctree"):
        return
    sphinx_own = builder._get_local_toctree
    resolved: dict[tuple, list] = {}
    app.connect("env-updated", lambda app, env: resolved.clear())

    def local_toctree(docname: str, collapse: bool = True, **kwargs) -> str:
        if collapse:
            return sphinx_own(docname, collapse=collapse, **kwargs)
        kwargs.setdefault("includehidden", False)
        if kwargs.get("maxdepth") == "":
            kwargs.pop("maxdepth")
        key = tuple(sorted(kwargs.items()))
        if key not in resolved:
            resolved[key] = pruned_trees(builder, **kwargs)
        return builder.render_partial(page_tree(resolved[key], docname, builder))["fragment"]

    builder._get_local_toctree = local_toctree


def pruned_trees(builder, maxdepth=0, titles_only: bool = False, includehidden: bool = False) -> list[tuple]:
    """Each of the root document's toctrees resolved as Sphinx does for a page outside them
    (depth classes set, no branch current), pruned to `maxdepth`, with, by document name, where
    its entries were in the unpruned tree (child indices from the root)."""
    env = builder.env
    included, excluded = Matcher(env.config.include_patterns), Matcher(env.config.exclude_patterns)
    trees = []
    for toctree in env.master_doctree.findall(addnodes.toctree):
        if toctree.get("hidden", False) and not includehidden:
            continue
        depth = int(maxdepth) or toctree.get("maxdepth", -1)
        entries = sphinx_toctree._entries_from_toctree(
            env, True, titles_only or toctree.get("titlesonly", False), False,
            includehidden or toctree.get("includehidden", False), builder.tags, frozenset(),
            included, excluded, toctree, [])
        if not entries:
            continue
        tree = addnodes.compact_paragraph("", "")
        if caption := toctree.attributes.get("caption"):
            title = nodes.title(caption, "", nodes.Text(caption))
            title.line, title.source, title.rawsource = toctree.line, toctree.source, toctree["rawcaption"]
            tree.append(title)
        tree.extend(entries)
        tree["toctree"] = True
        sphinx_toctree._toctree_add_classes(tree, 1, None)
        where: dict[str, list[list[int]]] = {}
        _index_entries(tree, [], where)
        pruned = sphinx_toctree._toctree_copy(tree, 1, depth, False, builder.tags)
        if isinstance(pruned[-1], nodes.Element) and len(pruned[-1]) == 0:
            continue
        trees.append((pruned, where))
    return trees


def _index_entries(node: nodes.Element, path: list[int], where: dict) -> None:
    for i, child in enumerate(node.children):
        if isinstance(child, nodes.reference):
            if not child["anchorname"] and sphinx_toctree.url_re.match(child["refuri"]) is None:
                where.setdefault(child["refuri"], []).append([*path, i])
        elif isinstance(child, nodes.Element):
            _index_entries(child, [*path, i], where)


def page_tree(trees: list[tuple], docname: str, builder) -> nodes.Element | None:
    """The pruned trees for page `docname`: the branch leading to it marked `current` (as far
    as the pruned tree goes) and every link relative to the page."""
    result = None
    for pruned, where in trees:
        tree = pruned.deepcopy()
        for path in where.get(docname, ()):
            chain = [tree]
            for i in path:
                if i >= len(chain[-1].children):
                    break  # the rest of the branch was pruned
                chain.append(chain[-1].children[i])
            for node in chain:
                node["classes"].append("current")
        for ref in tree.findall(nodes.reference):
            if sphinx_toctree.url_re.match(ref["refuri"]) is None:
                ref["refuri"] = builder.get_relative_uri(docname, ref["refuri"]) + ref["anchorname"]
        if result is None:
            result = tree
        else:
            result.extend(tree.children)
    return result
