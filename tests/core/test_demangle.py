"""core/demangle.py: C++ names as gdb and c++filt print them, RTOS prefixes kept (rtos.md §3)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cheriot_gdbserver.core.demangle import demangle

# Symbol names as they appear in CHERIoT RTOS images (rtos.md §3 naming table).
NAMES = {
    "_Z15scheduler_entryPK16ThreadLoaderInfo": "scheduler_entry(ThreadLoaderInfo const*)",
    "__export_scheduler__Z15scheduler_entryPK16ThreadLoaderInfo":
        "__export_scheduler_scheduler_entry(ThreadLoaderInfo const*)",
    "__import_alloc__Z9heap_freeP10SObjStructPv": "__import_alloc_heap_free(SObjStruct*, void*)",
    "__library_import_sched__Z15simulation_exitj":
        "__library_import_sched_simulation_exit(unsigned int)",
    "__library_export_libcalls__Z16token_obj_unsealP10SKeyStructP10SObjStruct":
        "__library_export_libcalls_token_obj_unseal(SKeyStruct*, SObjStruct*)",
    "__Z26compartment_switcher_entryz": "compartment_switcher_entry(...)",
}


@pytest.mark.parametrize(("mangled", "plain"), NAMES.items())
def test_rtos_names(mangled: str, plain: str) -> None:
    assert demangle(mangled) == plain


@pytest.mark.parametrize("name", ["main", "_start", "__export.sealing_type.alloc.MallocKey",
                                  "_Znotmangled", "__sealingkey", ""])
def test_other_names_are_kept(name: str) -> None:
    assert demangle(name) == name


@pytest.mark.skipif(shutil.which("c++filt") is None, reason="binutils' c++filt not installed")
def test_agrees_with_cplusplus_filt() -> None:
    mangled = [m for m in NAMES if m.startswith("_Z")]
    done = subprocess.run(["c++filt", *mangled], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [demangle(m) for m in mangled]
