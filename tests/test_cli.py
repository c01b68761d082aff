"""The naba command, run through click's CliRunner and as a real process."""

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from naba.cli import cli
from tests.conftest import BACKENDS, ROOT, SEED_ID, naba_server, require_xapian


def run(runner, *args):
    return runner.invoke(cli, list(map(str, args)), catch_exceptions=False)


def test_index_then_search_prints_emphasised_results(runner, corpus_dir, tmp_path):
    index = tmp_path / "index"
    result = run(runner, "index", corpus_dir, "--index", index)
    assert result.exit_code == 0, result.output
    assert "Indexed 9 articles" in result.output
    result = run(runner, "search", "داعش تمويل", "--index", index)
    assert result.exit_code == 0, result.output
    assert SEED_ID in result.output and "التمويل" in result.output
    assert "<mark>" not in result.output


def test_search_on_a_terminal_shows_matches_in_bold_and_text_as_written(runner, index_dir):
    args = ["search", "داعش", "--index", str(index_dir), "--per-page", "20"]
    result = runner.invoke(cli, args, color=True, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "\x1b[1m" in result.output and "داعش\x1b[0m" in result.output  # bold, then reset
    assert "<script>alert('x')</script> عنوان خبيث" in result.output  # not HTML-escaped
    assert "&lt;" not in result.output and "\u202e" not in result.output


def test_search_json(runner, index_dir):
    result = run(runner, "search", "قصف الغوطة", "--index", index_dir, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["hits"][0]["id"] == "ghouta-1" and "<mark>" in data["hits"][0]["snippet_html"]


def test_search_errors_go_to_stderr_with_exit_1(runner, index_dir, tmp_path):
    result = run(runner, "search", "في", "--index", index_dir)
    assert result.exit_code == 1 and "common words" in result.output
    result = run(runner, "search", "داعش", "--index", tmp_path / "none")
    assert result.exit_code == 1 and "naba index" in result.output


def test_index_reports_skipped_files_with_reasons(runner, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "good.txt").write_text("عنوان\nنص عن داعش", "utf-8")
    (tmp_path / "src" / "bad.jsonl").write_text('{"id": "1", "body": "قصف"}\n{broken\n', "utf-8")
    result = run(runner, "index", tmp_path / "src", "--index", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert "Indexed 2 articles" in result.output
    assert "bad.jsonl:2: broken JSON" in result.output


def test_index_with_nothing_to_index_fails_and_keeps_old(runner, index_dir, tmp_path):
    result = run(runner, "index", tmp_path / "empty-missing", "--index", index_dir)
    assert result.exit_code == 1 and "was kept" in result.output
    assert run(runner, "search", "داعش", "--index", index_dir).exit_code == 0


def test_trec_run_for_evaluation(runner, index_dir, tmp_path):
    queries = tmp_path / "q.tsv"
    queries.write_text("q1\tقصف الغوطة\nq2\tفي\nq3\tتمويل داعش\n", "utf-8")
    run_file = tmp_path / "run.txt"
    result = run(runner, "search", "--index", index_dir, "--queries", queries, "--run", run_file)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in run_file.read_text("utf-8").splitlines()]
    assert lines[0][:4] == ["q1", "Q0", "ghouta-1", "1"]
    assert {line[0] for line in lines} == {"q1", "q3"}
    assert "query q2" in result.output


def test_config_file_env_and_flags_in_that_order(runner, index_dir, tmp_path, monkeypatch):
    config = tmp_path / "naba.toml"
    config.write_text(f'index = "{index_dir}"\nper_page = 1\n', "utf-8")
    result = run(runner, "--config", config, "search", "داعش", "--json")
    assert json.loads(result.output)["per_page"] == 1
    monkeypatch.setenv("NABA_PER_PAGE", "2")
    assert (
        json.loads(run(runner, "--config", config, "search", "داعش", "--json").output)["per_page"]
        == 2
    )
    flagged = run(runner, "--config", config, "search", "داعش", "--json", "--per-page", "3")
    assert json.loads(flagged.output)["per_page"] == 3
    config.write_text("colour = 1\n", "utf-8")
    result = run(runner, "--config", config, "search", "داعش")
    assert result.exit_code == 1 and "unknown setting" in result.output


def test_python_dash_m_indexer(corpus_dir, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "indexer",
            str(corpus_dir / "seeds"),
            "--index",
            str(tmp_path / "i"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Indexed 1 article " in done.stdout


def test_naba_serve_answers_over_http(index_dir):
    with naba_server(index_dir) as (base, server):
        url = f"{base}/?q=" + urllib.parse.quote("داعش تمويل")
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode("utf-8")
        assert "<mark>التمويل</mark>" in page and 'dir="rtl"' in page
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "waitress" in output.lower() or "serving" in output.lower()


def test_every_command_has_help_and_is_in_the_readme(runner):
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in cli.commands:
        result = run(runner, name, "--help")
        assert result.exit_code == 0 and "Example" in result.output, name
        assert f"naba {name}" in readme, name
    assert Path(ROOT / "config.toml").exists()


def test_search_filters_and_order_on_the_command_line(runner, index_dir):
    result = run(
        runner, "search", "داعش OR الغوطة", "--index", index_dir, "--json",
        "--source", "BBC", "--source", "France24", "--sort", "newest",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert [hit["id"] for hit in hits] == ["isis-finance-2", "ghouta-1"]
    result = run(runner, "search", "داعش", "--index", index_dir, "--from", "2018-13")
    assert result.exit_code != 0 and "not a date" in result.output
    result = run(runner, "search", "التمويا", "--index", index_dir)
    assert "Did you mean: التمويل" in result.output


def test_update_and_delete_on_the_command_line(runner, corpus_dir, tmp_path):
    index = tmp_path / "index"
    assert run(runner, "index", corpus_dir, "--index", index).exit_code == 0
    extra = tmp_path / "extra.jsonl"
    records = [
        {"id": "ghouta-1", "title": "هدنة في الغوطة", "body": "هدنة"},
        {"id": "new-1", "body": "مفاوضات جنيف"},
    ]
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    result = run(runner, "index", "--update", extra, "--index", index)
    assert result.exit_code == 0, result.output
    assert "Indexed 2 articles" in result.output and "Replaced 1 article " in result.output
    result = run(runner, "search", "هدنة", "--index", index, "--json")
    assert [hit["id"] for hit in json.loads(result.output)["hits"]] == ["ghouta-1"]
    result = run(runner, "delete", "new-1", "missing-id", "--index", index)
    assert result.exit_code == 0 and "Deleted 1 article;" in result.output
    assert "Not in the index, so not deleted: missing-id" in result.output
    assert "new-1" not in run(runner, "search", "جنيف", "--index", index).output
    result = run(runner, "index", "--update", "--index", index)
    assert result.exit_code != 0 and "needs the SOURCES" in result.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_deleting_only_ids_the_index_lacks_fails_and_changes_nothing(
    runner, corpus_dir, tmp_path, backend
):
    if backend == "xapian":
        require_xapian()
    index = tmp_path / "index"
    assert run(runner, "index", corpus_dir, "--index", index, "--backend", backend).exit_code == 0

    def files() -> dict[str, int]:
        return {str(path): path.stat().st_mtime_ns for path in index.rglob("*")}

    before = files()
    result = run(runner, "delete", "no-such-id", "ghouta-9", "--index", index)
    assert result.exit_code != 0
    assert "no article with any of the ids 'no-such-id', 'ghouta-9'" in result.output
    assert "nothing was deleted" in result.output
    assert files() == before  # no generation written or published, no shard committed
    result = run(runner, "search", "الغوطة", "--index", index, "--json")
    assert json.loads(result.output)["total"] == 2


def test_search_every_word_or_any_word(runner, index_dir):
    every = runner.invoke(cli, ["search", "داعش تمويل", "--index", str(index_dir)])
    assert every.exit_code == 0, every.output
    assert "3 articles with every word" in every.output
    assert "with only some of the words" in every.output
    some = runner.invoke(cli, ["search", "داعش تمويل", "--any", "--index", str(index_dir)])
    assert some.exit_code == 0, some.output
    assert "with any word" in some.output and "(some of the words)" not in some.output


def test_export_writes_every_counted_article_with_what_it_holds(runner, index_dir, tmp_path):
    out = tmp_path / "ghouta.jsonl"
    query = "داعش OR الغوطة OR الحوثيون"
    result = run(runner, "export", query, "--index", index_dir, "--format", "jsonl", "--body",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 7 of 7 counted articles" in result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert lines[0]["naba_export"]["query"] == query and len(lines) == 1 + 7
    assert all("body" in line for line in lines[1:])
    result = run(runner, "export", "قصف الغوطة", "--index", index_dir, "--limit", "1")
    assert result.exit_code == 0 and "# rows: the first 1 of " in result.output
    assert run(runner, "export", "في", "--index", index_dir).exit_code == 1


def test_the_build_progress_says_how_far_and_when_it_is_writing(tmp_path, corpus_dir):
    """On a terminal the build shows articles read of the estimate from the sources' size,
    a percentage and the time left, then says when it is writing the index."""
    import io

    from indexer import build_index
    from indexer.sources import estimated_articles
    from naba.cli import Progress

    source = tmp_path / "many.jsonl"
    article = {"body": "قصف الغوطة الشرقية " * 85, "title": "الغوطة"}
    source.write_text("".join(json.dumps(article | {"id": f"a{n}"}, ensure_ascii=False) + "\n"
                              for n in range(400)), "utf-8")  # fmt: skip
    estimate = estimated_articles([source, corpus_dir])
    assert 300 <= estimate - 9 <= 500  # ~3.3 kB an article; a .txt file is one
    screen = io.StringIO()
    progress = Progress(estimate, file=screen)
    build_index([source], tmp_path / "index", on_progress=progress, processes=1)
    progress.done()
    shown = screen.getvalue()
    assert f"/{estimate}" in shown and "%" in shown and "articles" in shown
    assert "read 400 articles; writing the index" in shown


def test_no_titles_drops_the_titles_as_its_help_says(runner, corpus_dir, tmp_path):
    """--no-titles leaves titles out of the index altogether: not searched, not kept, empty
    on every page and export; the help says so, not that they are still stored."""
    import json

    help_text = runner.invoke(cli, ["index", "--help"]).output
    assert "--no-titles" in help_text and "still stored" not in help_text
    assert "neither searched nor stored" in " ".join(help_text.split())
    index = tmp_path / "index"
    built = runner.invoke(cli, ["index", str(corpus_dir), "--index", str(index), "--no-titles"])
    assert built.exit_code == 0, built.output
    found = runner.invoke(cli, ["search", "الغوطة", "--index", str(index), "--json"])
    hits = json.loads(found.output)["hits"]
    assert hits and all(hit["title"] == "" for hit in hits)
    title_only = runner.invoke(cli, ["search", "ممولي", "--index", str(index), "--json"])
    assert json.loads(title_only.output)["total"] == 0  # a word of a title only
