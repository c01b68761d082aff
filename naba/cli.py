"""The ``naba`` command: turns arguments into calls on ``indexer`` and ``search``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import click

from indexer import (
    BuildReport,
    build_index,
    delete_documents,
    update_index,
)
from indexer.normalize import without_bidi_controls
from indexer.sources import estimated_articles, printable
from naba.config import Config, ConfigError, load_config, searcher_options
from search import Marked, NabaError, Searcher, SearchError
from search.evaluation import RUN_DEPTH

MAX_LISTED_PROBLEMS = 20

index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default: config)."
)


def filter_options(command):
    """The filters `naba search` and `naba export` share: sources, categories, authors, dates."""
    for option in reversed([
        click.option("--source", "sources", multiple=True, help="Only this source (repeatable)."),
        click.option("--category", "categories", multiple=True,
                     help="Only this category, e.g. sport (repeatable)."),
        click.option("--author", "authors", multiple=True, help="Only this author (repeatable)."),
        click.option("--from", "date_from", default="",
                     help="Only articles from this date (YYYY-MM-DD)."),
        click.option("--to", "date_to", default="",
                     help="Only articles up to this date (YYYY-MM-DD)."),
    ]):  # fmt: skip
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: $NABA_CONFIG or ./config.toml).",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """naba — Arabic full-text search for archives of conflict news.

    Example: naba index seeds/ && naba search "داعش تمويل"
    """
    try:
        ctx.obj = load_config(config_file)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def _config(ctx: click.Context, **overrides: object) -> Config:
    try:
        return ctx.obj.with_overrides(**overrides)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


@cli.command("index")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option(
    "--no-titles",
    is_flag=True,
    help="Index bodies only: titles are neither searched nor stored (empty on every page).",
)
@click.option("--processes", type=click.IntRange(0, 64), help="Build processes (0: one per core).")
@click.option(
    "--update",
    is_flag=True,
    help="Add SOURCES to the existing index, replacing articles with the same id.",
)
@click.option(
    "--backend",
    type=click.Choice(["whoosh", "xapian"]),
    help="Engine to build with (default: config, whoosh).",
)
@click.option("--shards", type=click.IntRange(1, 1024), help="Xapian shards (default: config, 1).")
@click.pass_context
def index_command(
    ctx: click.Context,
    sources: tuple[Path, ...],
    index_dir: Path | None,
    no_titles: bool,
    processes: int | None,
    update: bool,
    backend: str | None,
    shards: int | None,
) -> None:
    """Rebuild the index from SOURCE folders and .jsonl/.jsonl.gz files, or --update it.

    The new index is built beside the live one, which keeps serving until the new one is
    complete. Bad files and lines are reported and skipped; the rest is indexed.

    Examples: naba index seeds/ ../archive/2018.jsonl.gz --index index;
    naba index --update new-articles.jsonl; naba index archive/ --backend xapian --shards 4
    """
    config = _config(
        ctx, index=index_dir, build_processes=processes, backend=backend, shards=shards
    )
    chosen = sources or (config.sources if not update else ())
    progress = Progress(estimated_articles(chosen)) if sys.stderr.isatty() else None
    if update and not sources:
        raise click.UsageError("--update needs the SOURCES to add, for example: new.jsonl")
    if update and no_titles:
        raise click.UsageError("--update indexes titles as the build did; drop --no-titles")
    try:
        if update:
            report = update_index(
                sources, config.index, on_progress=progress, lock_timeout=config.lock_timeout
            )
        else:
            report = build_index(
                sources or config.sources,
                config.index,
                include_titles=not no_titles,
                on_progress=progress,
                lock_timeout=config.lock_timeout,
                processes=config.build_processes,
                backend=config.backend,
                shards=config.shards,
                title_boost=config.title_boost,
                lead_boost=config.lead_boost,
            )
    except NabaError as error:  # a build, update or delete that could not be done
        raise click.ClickException(str(error)) from error
    finally:
        if progress:
            progress.done()
    _print_report(report)


@cli.command("delete")
@click.argument("ids", nargs=-1, required=True)
@index_option
@click.pass_context
def delete_command(ctx: click.Context, ids: tuple[str, ...], index_dir: Path | None) -> None:
    """Remove the articles with these IDs from the index (atomically, while it serves).

    IDs the index does not have are named; when it has none of them, nothing changes and
    the command fails.

    Example: naba delete 000_28c20a037e43265e another-id --index index
    """
    config = _config(ctx, index=index_dir)
    try:
        report = delete_documents(ids, config.index, lock_timeout=config.lock_timeout)
    except NabaError as error:  # a build, update or delete that could not be done
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Deleted {_plural(len(report.deleted), 'article')}; "
        f"{_plural(report.documents, 'article')} left in {config.index}"
    )
    if report.missing:
        listed = " ".join(map(printable, report.missing))
        click.echo(f"Not in the index, so not deleted: {listed}", err=True)


class Progress:
    """The build's progress on the terminal (tqdm): articles read of about how many the
    sources hold (estimated from their size, raised if passed), percent, rate and time
    left; then a line while the index is written, which can take a while."""

    def __init__(self, estimate: int, file=None) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=estimate or None, desc="  indexing", unit=" articles", file=file or sys.stderr,
            mininterval=0.5, dynamic_ncols=True, leave=False,
        )  # fmt: skip
        self.file = self.bar.fp

    def __call__(self, indexed: int) -> None:
        if self.bar.total and indexed > self.bar.total:
            self.bar.total = round(indexed * 1.05)  # the estimate was short
        self.bar.update(indexed - self.bar.n)

    def finishing(self) -> None:
        """Every article is read: say that the index is being written."""
        count = self.bar.n
        self.bar.close()
        click.echo(f"  read {count:,} articles; writing the index (merging, then "
                   "publishing it)…", file=self.file)  # fmt: skip

    def done(self) -> None:
        self.bar.close()


def _print_report(report: BuildReport) -> None:
    click.echo(
        f"Indexed {_plural(report.indexed, 'article')} in {report.seconds:.1f} s "
        f"({report.docs_per_second:,.0f} docs/s) into {report.index_dir}"
    )
    if report.replaced:
        click.echo(f"Replaced {_plural(report.replaced, 'article')} already in the index.")
    if report.documents:
        click.echo(f"The index holds {_plural(report.documents, 'article')}.")
    if report.duplicates:
        click.echo(
            f"Replaced {report.duplicates:,} earlier copies of duplicate ids (last one wins)."
        )
    if report.merged:
        click.echo(f"Merged {report.merged} small segments left by earlier updates into one.")
    for label, problems in (("Skipped", report.skipped), ("Warnings", report.warnings)):
        if not problems:
            continue
        reasons = Counter(problem.reason.split(":")[0] for problem in problems)
        summary = ", ".join(f"{reason} ×{count}" for reason, count in reasons.most_common(5))
        click.echo(f"{label}: {len(problems):,} ({summary})", err=True)
        for problem in problems[:MAX_LISTED_PROBLEMS]:
            click.echo(f"  {problem}", err=True)
        if len(problems) > MAX_LISTED_PROBLEMS:
            click.echo(f"  … and {len(problems) - MAX_LISTED_PROBLEMS:,} more", err=True)


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _searcher(config: Config) -> Searcher:
    try:
        return Searcher(config.index, **searcher_options(config))
    except SearchError as error:
        raise click.ClickException(str(error)) from error


@cli.command("search")
@click.argument("query", required=False)
@index_option
@click.option("--page", type=click.IntRange(min=1), default=1, help="Page of results.")
@click.option("--per-page", type=click.IntRange(1, 100), help="Results per page.")
@filter_options
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest"]),
    default="relevance",
    help="Order of the results.",
)
@click.option(
    "--any",
    "any_word",
    is_flag=True,
    help="Count and rank articles with any query word (default: every word counts, "
    "articles with only some are listed after them).",
)
@click.option(
    "--articles",
    "every_article",
    is_flag=True,
    help="List and count every article (default: near-duplicates once, as stories).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--queries",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A qid<TAB>query file to run instead of QUERY (needs --run).",
)
@click.option(
    "--run",
    "run_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Write a TREC run (top {RUN_DEPTH} per query) of --queries to this file.",
)
@click.pass_context
def search_command(
    ctx: click.Context,
    query: str | None,
    index_dir: Path | None,
    page: int,
    per_page: int | None,
    sources: tuple[str, ...],
    categories: tuple[str, ...],
    authors: tuple[str, ...],
    date_from: str,
    date_to: str,
    sort: str,
    any_word: bool,
    every_article: bool,
    as_json: bool,
    queries: Path | None,
    run_file: Path | None,
) -> None:
    """Search the index and print ranked results with the matched words emphasised.

    Quote phrases ("قصف الغوطة"), exclude words with -word, join alternatives with OR.

    Examples: naba search "داعش تمويل" --json;
    naba search "قصف الغوطة" --source BBC --from 2018-02 --to 2018-03 --sort newest;
    naba search --queries queries.tsv --run run.txt
    """
    config = _config(ctx, index=index_dir, per_page=per_page)
    if queries or run_file:
        if not (queries and run_file) or query:
            raise click.UsageError("--queries and --run go together, without QUERY")
        with _searcher(config) as searcher:
            _write_run(searcher, queries, run_file)
        return
    if query is None:
        raise click.UsageError('give a QUERY, for example: naba search "داعش تمويل"')
    with _searcher(config) as searcher:
        try:
            results = searcher.search(
                query,
                page=page,
                per_page=config.per_page,
                sources=sources,
                categories=categories,
                authors=authors,
                date_from=date_from,
                date_to=date_to,
                sort=sort,
                match="any" if any_word else None,
                group="articles" if every_article else None,
            )
        except SearchError as error:
            raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_results(results)


@cli.command("export")
@click.argument("query")
@index_option
@filter_options
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance",
              help="Order of the rows.")  # fmt: skip
@click.option("--any", "any_word", is_flag=True, help="Count articles with any query word.")
@click.option("--format", "kind", type=click.Choice(["csv", "jsonl", "json"]), default="csv",
              help="File format (default: csv).")  # fmt: skip
@click.option("--body", is_flag=True, help="Include each article's text.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N counted articles.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file (default: standard output).")  # fmt: skip
@click.pass_context
def export_command(ctx: click.Context, query: str, index_dir: Path | None,
                   sources: tuple[str, ...], categories: tuple[str, ...],
                   authors: tuple[str, ...], date_from: str, date_to: str, sort: str,
                   any_word: bool, kind: str, body: bool, limit: int | None,
                   output: Path | None) -> None:  # fmt: skip
    """Write every counted article of a search (no cap) as CSV, JSON Lines or JSON, with
    the query, filters, index generation and time at the top of the file.

    Examples: naba export "داعش تمويل" -o isis-finance.csv;
    naba export "قصف الغوطة" --format jsonl --body --from 2018-02 -o ghouta.jsonl
    """
    from search.exporting import csv_chunks, json_chunks, jsonl_chunks

    chunks = {"csv": csv_chunks, "jsonl": jsonl_chunks, "json": json_chunks}[kind]
    config = _config(ctx, index=index_dir)
    with _searcher(config) as searcher:
        try:
            stream = searcher.export_all(query, sources=sources, categories=categories,
                                         authors=authors, date_from=date_from,
                                         date_to=date_to, sort=sort, limit=limit, body=body,
                                         match="any" if any_word else None)  # fmt: skip
        except SearchError as error:
            raise click.ClickException(str(error)) from error
        with stream, click.open_file(str(output or "-"), "w", encoding="utf-8") as out:
            for chunk in chunks(stream):
                out.write(chunk)
    if output:
        click.echo(f"Wrote {stream.header.rows:,} of {stream.header.total:,} counted articles "
                   f"to {output}", err=True)  # fmt: skip


def _print_results(results) -> None:
    if results.relaxed:
        click.echo("No article has every word; showing articles with some of them.")
    if results.ignored:
        click.echo(f"Ignored common words: {' '.join(results.ignored)}")
    counted = "with every word" if results.match == "all" else "with any word"
    unit = "story" if results.group == "stories" else "article"
    held = f" in {_plural(results.articles, 'article')}" if results.group == "stories" else ""
    click.echo(
        f"{_plural(results.total, unit)}{held} {counted} ({results.took_ms:.0f} ms), page "
        f"{results.page} of {results.pages}"
    )
    if results.partial:
        more = "at least " if results.partial_more else ""
        click.echo(f"then {more}{_plural(results.partial, unit)} with only some of the words")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    for rank, hit in enumerate(results.hits, start=results.first_rank):
        shown = (hit.date, hit.source, hit.id)  # without bidi controls, which could reorder
        meta = " · ".join(without_bidi_controls(part) for part in shown if part)
        click.echo()
        some = "" if hit.complete else "  (some of the words)"
        title = _terminal(hit.title_marked) or without_bidi_controls(hit.id)
        click.echo(f"{rank}. {title}{some}")
        click.echo(f"   {meta}  [{hit.score:.2f}]")
        click.echo(f"   {_terminal(hit.snippet)}")
        if hit.url:
            click.echo(f"   {without_bidi_controls(hit.url)}")
        if hit.similar:
            sources = ", ".join(dict.fromkeys(other.source for other in hit.others if other.source))
            click.echo(f"   + {_plural(hit.similar, 'similar article')}"
                       f"{' (' + sources + ')' if sources else ''}")  # fmt: skip


def _terminal(marked: Marked) -> str:
    """Text with its matches in bold (plain when not a terminal)."""
    return "".join(
        click.style(piece, bold=True, fg="yellow") if matched else piece
        for piece, matched in marked.pieces()
    )


def _write_run(searcher: Searcher, queries: Path, run_file: Path) -> None:
    failed = 0
    lines: list[str] = []
    for lineno, line in enumerate(queries.read_text("utf-8").splitlines(), start=1):
        qid, _, text = line.partition("\t")
        if not qid.strip():
            continue
        try:
            results = searcher.search(text, per_page=RUN_DEPTH, highlight=False, group="articles")
        except SearchError as error:
            failed += 1
            click.echo(f"{queries}:{lineno}: query {qid}: {error}", err=True)
            continue
        lines.extend(
            f"{qid} Q0 {hit.id} {rank} {hit.score} naba"
            for rank, hit in enumerate(results.hits, start=1)
        )
    run_file.write_text("\n".join(lines) + "\n", "utf-8")
    click.echo(
        f"Wrote {len(lines):,} lines to {run_file}"
        + (f" ({failed} queries failed)" if failed else "")
    )


@cli.command("eval")
@click.option(
    "--collection",
    "collections",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="Articles to index (repeatable).",
)
@click.option(
    "--queries", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False)
)
@click.option(
    "--qrels", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False)
)
@click.option(
    "--no-titles", is_flag=True, help="Index bodies only (known-item tests on headlines)."
)
@click.option(
    "--keep-index",
    type=click.Path(path_type=Path, file_okay=False),
    help="Build the index here (or reuse it if it exists) instead of a temporary folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--backend",
    type=click.Choice(["whoosh", "xapian"]),
    help="Engine to index and search with (default: config, whoosh).",
)
@click.option("--shards", type=click.IntRange(1, 1024), help="Xapian shards (default: config).")
@click.pass_context
def eval_command(
    ctx: click.Context,
    collections: tuple[Path, ...],
    queries: Path,
    qrels: Path,
    no_titles: bool,
    keep_index: Path | None,
    as_json: bool,
    backend: str | None,
    shards: int | None,
) -> None:
    """Measure retrieval quality: index a collection, run queries, score them.

    Queries run exactly as the web page runs them (settings from config), and the run is
    scored with ir-measures: MAP, nDCG@10, MRR@10 and Recall@100.

    Example: naba eval --collection eval/arcd/collection.jsonl.gz
    --queries eval/arcd/queries.tsv --qrels eval/arcd/qrels.txt
    """
    from search.evaluation import evaluate

    config = _config(ctx, backend=backend, shards=shards)
    options = searcher_options(config) | {"shard_servers": ()}  # the index built here
    report = evaluate(
        list(collections),
        queries,
        qrels,
        include_titles=not no_titles,
        index_dir=keep_index,
        searcher_options=options,
        backend=config.backend,
        shards=config.shards,
    )
    if as_json:
        click.echo(json.dumps({**report.scores, "queries": report.queries}, indent=2))
        return
    click.echo(
        f"{report.queries:,} queries ({report.failed} without words to search) "
        f"over {report.documents:,} documents"
    )
    for name, label in (
        ("AP", "MAP"),
        ("nDCG@10", "nDCG@10"),
        ("RR@10", "MRR@10"),
        ("R@100", "Recall@100"),
    ):
        click.echo(f"  {label:<11} {report.scores[name]:.4f}")


@cli.command("serve")
@index_option
@click.option("--host", help="Address to listen on (default: config, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 64), help="Threads of each process.")
@click.option("--workers", type=click.IntRange(0, 64), help="Server processes (0: one per core).")
@click.pass_context
def serve_command(
    ctx: click.Context,
    index_dir: Path | None,
    host: str | None,
    port: int | None,
    threads: int | None,
    workers: int | None,
) -> None:
    """Serve the search page and its JSON API with a production WSGI server (waitress).

    Example: naba serve --port 8080, then open http://127.0.0.1:8080/
    """
    from web import create_app
    from web.server import serve

    config = _config(ctx, index=index_dir, host=host, port=port, threads=threads, workers=workers)
    app = create_app(config)
    processes = config.workers or os.cpu_count() or 1
    served = ", ".join(config.shard_servers) if config.shard_servers else config.index
    click.echo(
        f"naba: serving {served} on http://{config.host}:{config.port}/ with "
        f"{processes} process{'es' if processes > 1 else ''} (Ctrl-C stops)"
    )
    serve(app, config.host, config.port, config.threads, processes, config.write_timeout)


@cli.command("shard-serve")
@click.argument("shard", type=click.IntRange(min=0))
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), required=True, help="Port to listen on.")
@click.pass_context
def shard_serve_command(
    ctx: click.Context, shard: int, index_dir: Path | None, host: str, port: int
) -> None:
    """Serve shard SHARD of a Xapian index to remote searchers (Xapian's xapian-tcpsrv).

    The server follows rebuilds (it serves the index's stub for the shard) and updates.
    xapian-tcpsrv has no authentication or encryption: it listens on 127.0.0.1 unless told
    otherwise; see the README on running shards safely.

    Example: naba shard-serve 0 --port 9101, then shard_servers = ["127.0.0.1:9101", …]
    """
    from indexer.xapian_adapter.shards import stub_path

    config = _config(ctx, index=index_dir)
    stub = stub_path(config.index, shard)
    if not stub.is_file():
        raise click.ClickException(
            f"{config.index} has no Xapian shard {shard} ({stub} is missing) — build one with "
            f"`naba index SOURCE --backend xapian --shards N --index {config.index}`"
        )
    server = shutil.which("xapian-tcpsrv")
    if server is None:
        raise click.ClickException(
            "xapian-tcpsrv is not installed: install Xapian's tools (Debian: apt-get install "
            "xapian-tools)"
        )
    click.echo(f"naba: serving shard {shard} of {config.index} on {host}:{port} (Ctrl-C stops)")
    command = [server, "--interface", host, "--port", str(port), "--quiet", str(stub)]
    # xapian-tcpsrv stops its connection processes by signalling its whole process group:
    # it gets a group of its own, and this process passes Ctrl-C and SIGTERM on to it.
    child = subprocess.Popen(command, start_new_session=True)

    def stop(signum: int, _frame: object) -> None:
        os.killpg(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sys.exit(child.wait())


def main() -> None:
    """Entry point of the ``naba`` console script."""
    cli(prog_name="naba")
