"""Logging goes to the XDG state file (or stderr), never to stdout; llama.cpp's too."""

from __future__ import annotations

import logging
import stat

import pytest

from coderd.system import logs, paths


@pytest.fixture(autouse=True)
def restore_coderd_logger(monkeypatch):
    """Each test starts and ends with the "coderd" logger as the process had it."""
    logger = logging.getLogger(logs.LOGGER_NAME)
    saved = (logger.level, logger.propagate)
    monkeypatch.setattr(logs, "_fallback_reported", False)
    yield
    logs.shutdown_logging()
    logger.setLevel(saved[0])
    logger.propagate = saved[1]


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def owned_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger("coderd").handlers if getattr(h, "_coderd_owned", False)]


def test_paths_follow_xdg_variables(tmp_path, monkeypatch):
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name))
    assert paths.log_file() == tmp_path / "XDG_STATE_HOME" / "coderd" / "coderd.log"
    assert paths.models_dir() == tmp_path / "XDG_DATA_HOME" / "coderd" / "models"
    assert paths.cache_dir() == tmp_path / "XDG_CACHE_HOME" / "coderd"
    assert not (tmp_path / "XDG_STATE_HOME").exists()  # asking for a path creates nothing


def test_ensure_dir_creates_private_directories(tmp_path):
    target = paths.ensure_dir(tmp_path / "a" / "b")
    for directory in (tmp_path / "a", target):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert paths.ensure_dir(target) == target  # existing is fine
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        paths.ensure_dir(tmp_path / "file")


def test_setup_logging_writes_the_xdg_file_and_nothing_to_stdout(state_home, capfd):
    log_path = logs.setup_logging("info")
    assert log_path == state_home / "coderd" / "coderd.log"
    assert stat.S_IMODE(log_path.parent.stat().st_mode) == 0o700
    logging.getLogger("coderd.engine").info("hello from the engine")
    logging.getLogger("coderd.engine").debug("too detailed")
    logs.shutdown_logging()  # flush and close
    text = log_path.read_text()
    assert "INFO    coderd.engine [MainThread] hello from the engine" in text
    assert "too detailed" not in text
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_setup_logging_is_idempotent(state_home):
    logs.setup_logging("info")
    log_path = logs.setup_logging("debug")
    assert len(owned_handlers()) == 1
    logging.getLogger("coderd").debug("once")
    logs.shutdown_logging()
    assert log_path.read_text().count("once") == 1
    assert owned_handlers() == []


def test_also_stderr_uses_stderr_not_stdout(state_home, capfd):
    logs.setup_logging("warning", also_stderr=True)
    logging.getLogger("coderd").warning("look here")
    logging.getLogger("coderd").info("quiet")
    out, err = capfd.readouterr()
    assert out == ""
    assert "WARNING coderd [MainThread] look here" in err and "quiet" not in err


def test_unknown_level_means_info(tmp_path):
    logs.setup_logging("chatty", log_path=tmp_path / "x.log")
    assert logging.getLogger("coderd").level == logging.INFO


def test_unwritable_log_dir_falls_back_to_stderr_once(tmp_path, monkeypatch, capfd):
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "not-a-dir"))
    logs.setup_logging("error")
    logs.setup_logging("info")
    logging.getLogger("coderd").info("still visible")
    out, err = capfd.readouterr()
    assert out == ""
    assert err.count("cannot write the log file") == 1
    assert "still visible" in err


def test_llama_fragments_are_joined_into_lines(tmp_path):
    log_path = logs.setup_logging("debug", log_path=tmp_path / "llama.log")
    forward = logs._LlamaLogForwarder()
    forward(2, b"loading", None)
    forward(5, b"...", None)
    forward(5, b"done\n", None)
    forward(4, b"bad thing\nsecond line\n", None)
    forward(1, None, None)  # a NULL text must not raise inside a C callback
    logs.shutdown_logging()
    lines = log_path.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO    coderd.llama [MainThread] loading...done",
        "ERROR   coderd.llama [MainThread] bad thing",
        "ERROR   coderd.llama [MainThread] second line",
    ]


def test_llama_cpp_messages_go_to_the_log_file(tmp_path, capfd):
    import llama_cpp  # a hard dependency: fail, do not skip

    log_path = logs.setup_logging("info", log_path=tmp_path / "coderd.log")
    logs.route_llama_cpp_logs()
    logs.route_llama_cpp_logs()  # twice is harmless
    llama_cpp.llama_backend_init()
    not_a_model = tmp_path / "not-a-model.gguf"
    not_a_model.write_text("plain text, not GGUF")
    params = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(str(not_a_model).encode(), params)
    assert not model  # NULL
    logs.shutdown_logging()
    text = log_path.read_text()
    assert "ERROR   coderd.llama" in text and "failed to load model" in text
    out, err = capfd.readouterr()
    assert out == "" and "failed to load model" not in err
