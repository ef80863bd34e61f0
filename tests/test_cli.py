"""The `mixlearn` command line: results, files written, and one-line errors with exit code 2."""

import subprocess
import sys

import numpy as np
import pytest

from mixlearn.cli import main, parse_covariance_types, parse_n_components, read_csv

PREFIX = "mixlearn: error: "
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_module(*args, cwd=None):
    "Run `python -m mixlearn ARGS` in a subprocess, as a user would."
    return subprocess.run([sys.executable, "-m", "mixlearn", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def assert_one_error_line(err, *words):
    "stderr is exactly one line starting with PREFIX, without a traceback, containing every word."
    assert err.startswith(PREFIX), err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    for word in words:
        assert word.lower() in err.lower(), (word, err)


@pytest.fixture
def points_csv(tmp_path):
    "Three separated 2-D groups, 60 rows, with a header."
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = centers[np.arange(60) % 3] + rng.normal(size=(60, 2))
    path = tmp_path / "points.csv"
    np.savetxt(path, X, fmt="%.5f", delimiter=",", header="u,v", comments="")
    return path


# ---------------------------------------------------------------------------------------------
# success
# ---------------------------------------------------------------------------------------------


def test_module_runs_on_bundled_data():
    result = run_module("fit", "--n-components", "1-3")
    assert result.returncode == 0, result.stderr
    assert "Old Faithful" in result.stdout                       # says which data it used
    assert "covariance_type" in result.stdout and "bic" in result.stdout.lower()   # the table
    assert "Chosen model: K = 2" in result.stdout
    assert result.stderr == ""


def test_main_prints_table_and_model(capsys):
    assert main(["fit", "--n-components", "1-3", "--covariance-types", "full,diag"]) == 0
    out = capsys.readouterr().out
    assert "Old Faithful" in out and "eruptions" in out and "waiting" in out
    for covariance_type in ("full", "diag"):
        assert covariance_type in out
    assert "Chosen model: K = 2, covariance type 'full'" in out


def test_out_and_plot_files(points_csv, tmp_path, capsys):
    labels, figure = tmp_path / "labels.csv", tmp_path / "fig.png"
    assert main(["fit", str(points_csv), "--n-components", "2-4", "--out", str(labels),
                 "--plot", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "Chosen model: K = 3" in out
    lines = labels.read_text().splitlines()
    assert lines[0] == "label,resp_0,resp_1,resp_2"
    table = np.loadtxt(labels, delimiter=",", skiprows=1)
    assert table.shape == (60, 4)
    resp = table[:, 1:]
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-8)
    np.testing.assert_array_equal(table[:, 0], resp.argmax(axis=1))
    assert figure.read_bytes()[:8] == PNG_SIGNATURE


def test_plot_for_data_that_are_not_2d(tmp_path, capsys):
    rng = np.random.default_rng(1)
    path = tmp_path / "three.csv"
    np.savetxt(path, rng.normal(size=(30, 3)), delimiter=",")          # no header
    assert main(["fit", str(path), "--n-components", "1-2", "--plot", str(tmp_path / "f.png")]) == 0
    assert "x0, x1, x2" in capsys.readouterr().out
    assert (tmp_path / "f.png").read_bytes()[:8] == PNG_SIGNATURE


def test_same_seed_same_output(points_csv, capsys):
    argv = ["fit", str(points_csv), "--n-components", "1-3", "--covariance-types", "spherical,tied",
            "--criterion", "icl", "--random-state", "3", "--n-init", "2"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first
    assert "ICL" in first


def test_read_csv_rules(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('x, y\n\n1,"2.5"\n 3 , 4e-1\n')
    X, names = read_csv(path)
    assert names == ["x", "y"]
    np.testing.assert_array_equal(X, [[1.0, 2.5], [3.0, 0.4]])
    path.write_text("1,2\n3,4\n")
    X, names = read_csv(path)
    assert names == ["x0", "x1"] and X.shape == (2, 2)


def test_parse_options():
    assert parse_n_components("3") == [3]
    assert parse_n_components("1-10") == list(range(1, 11))
    assert parse_n_components("2,4,6") == [2, 4, 6]
    assert parse_covariance_types("full,diag") == ("full", "diag")


# ---------------------------------------------------------------------------------------------
# errors: one line on stderr, exit code 2
# ---------------------------------------------------------------------------------------------

BAD_CSV = {
    "empty": ("", ["empty"]),
    "blank_lines_only": ("\n\n", ["empty"]),
    "header_only": ("a,b\n", ["no data rows"]),
    "non_numeric": ("a,b\n1,2\n3,abc\n", ["line 3", "column 2", "'abc'", "not a number"]),
    "missing_value": ("a,b\n1,2\n,4\n5,6\n", ["line 3", "column 1", "missing value", "--nan-policy omit"]),
    "na": ("1,2\n3,NA\n", ["line 2", "'NA'", "missing value", "--nan-policy omit"]),
    "nan": ("1,2\n3,nan\n", ["line 2", "missing value", "--nan-policy omit"]),
    "inf": ("1,2\n3,inf\n", ["line 2", "not a finite number"]),
    "one_row": ("a,b\n1,2\n", ["only 1 data row"]),
    "ragged": ("a,b\n1,2\n3,4,5\n", ["line 3", "3 cells", "2"]),
    "ragged_no_header": ("1,2,3\n4,5\n", ["line 2", "2 cells", "3"]),
    "binary": (b"\x89PNG\r\n\x1a\n\xff\xfe", ["not a utf-8 text file"]),
}


@pytest.mark.parametrize("name", list(BAD_CSV))
def test_bad_csv(name, tmp_path, capsys):
    content, words = BAD_CSV[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["fit", str(path), "--n-components", "1"]) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, f"{name}.csv", *words)


def test_missing_file(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv")]) == 2
    assert_one_error_line(capsys.readouterr().err, "nope.csv", "no such file")


def test_directory_as_data(tmp_path, capsys):
    assert main(["fit", str(tmp_path)]) == 2
    assert_one_error_line(capsys.readouterr().err, "cannot read")


BAD_OPTIONS = {
    "zero_in_range": (["--n-components", "0-3"], ["--n-components", "0-3"]),
    "letters": (["--n-components", "a"], ["--n-components", "'a'"]),
    "empty_range": (["--n-components", "5-2"], ["--n-components", "5-2"]),
    "too_many_components": (["--n-components", "1-1000"], ["--n-components", "272 rows"]),
    "absurd_range": (["--n-components", "1-1000000000"], ["--n-components", "at most"]),
    "unknown_covariance_type": (["--covariance-types", "full,round"], ["--covariance-types", "'round'"]),
    "unknown_criterion": (["--criterion", "aicc"], ["--criterion", "'aicc'"]),
    "non_integer_seed": (["--random-state", "seven"], ["--random-state", "'seven'"]),
    "negative_seed": (["--random-state", "-1"], ["--random-state"]),
    "zero_n_init": (["--n-init", "0"], ["--n-init"]),
    "unknown_option": (["--colour", "red"], ["unrecognized arguments", "--colour"]),
    "missing_option_value": (["--n-components"], ["--n-components", "expected one argument"]),
    "out_folder_missing": (["--out", "no/such/folder/labels.csv"], ["--out", "does not exist"]),
    "plot_folder_missing": (["--plot", "no/such/folder/fig.png"], ["--plot", "does not exist"]),
}


@pytest.mark.parametrize("name", list(BAD_OPTIONS))
def test_bad_option(name, capsys):
    args, words = BAD_OPTIONS[name]
    assert main(["fit", *args]) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, *words)
    assert captured.out == ""                     # nothing fitted, nothing printed


def test_no_command(capsys):
    assert main([]) == 2
    assert_one_error_line(capsys.readouterr().err, "command")


def test_unknown_command(capsys):
    assert main(["predict"]) == 2
    assert_one_error_line(capsys.readouterr().err, "'predict'")


def test_module_bad_input_exit_code(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,oops\n")
    result = run_module("fit", path, "--n-components", "1")
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "'oops'", "line 3")
    assert result.stdout == ""


# ---------------------------------------------------------------------------------------------
# --help and --version
# ---------------------------------------------------------------------------------------------

FIT_OPTIONS = ("--n-components", "--covariance-types", "--criterion", "--out", "--plot", "--random-state",
               "--n-init", "data.csv")


def test_help_mentions_every_option(capsys):
    assert main(["fit", "--help"]) == 0
    out = capsys.readouterr().out
    for option in FIT_OPTIONS:
        assert option in out, option
    assert out.count("(default") >= len(FIT_OPTIONS)     # every option states its default
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "fit" in out and "--version" in out


def test_module_help_and_version():
    result = run_module("fit", "--help")
    assert result.returncode == 0 and all(option in result.stdout for option in FIT_OPTIONS)
    assert result.stdout.startswith("usage: mixlearn fit")
    result = run_module("--version")
    assert result.returncode == 0
    import mixlearn
    assert result.stdout.strip() == f"mixlearn {mixlearn.__version__}"


def test_nan_policy_omit_reads_empty_cells_na_and_nan_as_missing(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 6]
    holes = rng.random(X.shape) < 0.2
    cells = [["" if holes[i, j] else f"{X[i, j]:.6f}" for j in range(2)] for i in range(len(X))]
    cells[5][0], cells[7][1] = "NA", "nan"
    holes[5, 0] = holes[7, 1] = True
    path = tmp_path / "holes.csv"
    path.write_text("a,b\n" + "\n".join(",".join(row) for row in cells) + "\n")
    read, names = read_csv(path, missing=True)
    assert names == ["a", "b"] and np.array_equal(np.isnan(read), holes)
    np.testing.assert_allclose(read[~holes], X[~holes], atol=1e-6)
    out_file = tmp_path / "labels.csv"
    assert main(["fit", str(path), "--n-components", "1-3", "--nan-policy", "omit", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert f"Missing values: {holes.sum()} of 240 cells" in out and "K = 2" in out
    labels = np.loadtxt(out_file, delimiter=",", skiprows=1)
    assert labels.shape == (120, 3) and np.isfinite(labels).all()
    # the two clusters are told apart from whatever each row has observed
    assert len(set(labels[:60, 0][~holes[:60].all(axis=1)])) == 1 != len(set(labels[:, 0]))
    first = next(i for i in range(len(X)) if holes[i].any())
    assert main(["fit", str(path), "--n-components", "2"]) == 2
    assert_one_error_line(capsys.readouterr().err, f"line {first + 2}", "missing value", "--nan-policy omit")
    path.write_text("a,b\n1,2\n3,inf\n4,\n")
    assert main(["fit", str(path), "--n-components", "1", "--nan-policy", "omit"]) == 2
    assert_one_error_line(capsys.readouterr().err, "line 3", "not a finite number")
