"""Board descriptions: the CHERIoT RTOS board JSON (rtos.md §7), read into a ``Board``.

A board file is the RTOS's own format (JSON5: comments, hex literals, trailing commas), so a
board the RTOS builds for loads here unchanged. What an emulator needs beyond it lives in one
optional object, ``"emulator"``:

* ``memory``: name -> ``{start, end | length, kind: "ram" | "rom", tagged}``. Default: one
  tagged RAM per ``instruction_memory`` and ``data_memory``, extended up to ``heap.end``.
* ``devices``: device name -> model name, or ``{"model": name, options...}`` (models and
  options: ``devices/catalog.py``). Default: by the RTOS device names ``clint``, ``plic``,
  ``uart``, ``shadow``, ``revoker``; ``"memory"`` makes a device plain register storage.
  Any other device name is an error until it is mapped. The CLINT variant defaults to
  ``cheriot-safe`` when ``defines`` has ``MICROSOFT_CHERIOT_SAFE`` (as the RTOS chooses).
* ``exit``: ``{"kind": "htif", "symbol": "tohost"}``, ``{"kind": "uart", "device": "uart"}``
  or ``{"kind": "none"}``. Default: HTIF when ``defines`` has ``RISCV_HTIF``; else the UART
  exit byte on a ``simulation`` board defining ``MICROSOFT_CHERIOT_SAFE``; else HTIF on any
  other ``simulation`` board; else none.
* ``instructions_per_tick``: the time rate. Time is deterministic: every retired instruction
  is one cycle (``mcycle`` = ``minstret``), and ``mtime`` advances once every
  ``instructions_per_tick`` instructions (default 1: ``mtime`` counts core clocks, as on
  CHERIoT-Ibex; the ``sail`` board uses 100, the Sail model's default). The RTOS reads
  ``timer_hz`` as ``mtime`` ticks per second, so simulated time is ``mtime / timer_hz``
  seconds and the simulated core runs ``timer_hz * instructions_per_tick`` instructions per
  simulated second.

* ``isa``: the core's optional ISA parts (core/isa.py): a core name (``"sail"``: the current
  Sail model's Zba, Zbb, Zbs, Zbkb, Zbc, Zbkx; ``"cheriot-ibex"``: Zba, Zbb, Zbs, Zbkb, Zbkc and
  the ZTOPC register; ``"base"``: none), or ``{"extensions": [...], "registers": ["ztopc"]}``.
  Default: the core the RTOS ``cpu`` field names (``cheriot-ibex``), else ``"sail"``.
  Instructions of other extensions are illegal, as are other registers.

``.patch`` files (``{"base": board, "patch": [JSON-Patch add/remove/replace]}``) are resolved
as the RTOS resolves them. Every problem raises ``BoardError("<file>: field '<f>': ...")``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import json5

from cheriot_gdbserver.errors import BoardError

from ..core.isa import ALL, CORES, EXTENSIONS, SCRS, Isa
from ..core.state import MAX_REGIONS
from .devices.catalog import DEFAULT_MODELS, MODELS
from .devices.clint import LAYOUTS
from .devices.shadow import RevocationMap

PAGE = 0x1000
ADDRESS_LIMIT = 1 << 32
SHIPPED_DIR = Path(__file__).resolve().parent
REGION_KINDS = ("ram", "rom", "mmio")
# The emulator keeps about 8 host bytes per byte of RAM or ROM (contents, tags, decode cache,
# Unicorn's copy); CHERIoT boards have a few MiB at most.
MAX_MEMORY = 64 << 20
_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}


def shipped_boards() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.json"))


@dataclass(frozen=True, slots=True)
class Extent:
    start: int
    end: int  # exclusive


@dataclass(frozen=True, slots=True)
class MemoryRegion:
    """A window of the address space: RAM, ROM, or a device (``mmio``; ``shadow`` is RAM).

    ``base``/``size`` are the true extent; ``map_base``/``map_end`` round it out to 4 KiB pages
    for Unicorn. RAM and ROM never share a page with another region; MMIO windows may.
    """

    name: str
    base: int
    size: int
    kind: str                      # "ram" | "rom" | "mmio"
    tagged: bool = False
    device: str | None = None      # the board's device name, for devices
    model: str | None = None       # the device model (devices/catalog.py), for devices
    options: Mapping[str, int | str] = field(default_factory=dict, compare=False)
    field_name: str = field(default="", compare=False)   # where the board file defines it

    @property
    def end(self) -> int:
        return self.base + self.size

    @property
    def map_base(self) -> int:
        return self.base & ~(PAGE - 1)

    @property
    def map_end(self) -> int:
        return (self.end + PAGE - 1) & ~(PAGE - 1)

    @property
    def map_size(self) -> int:
        return self.map_end - self.map_base

    def contains(self, address: int, size: int = 1) -> bool:
        return self.base <= address and address + size <= self.end

    def describe(self) -> str:
        return f"'{self.field_name or self.name}' ({self.base:#010x}-{self.end:#010x})"


@dataclass(frozen=True, slots=True)
class Interrupt:
    name: str
    number: int
    priority: int
    edge_triggered: bool = False


@dataclass(frozen=True, slots=True)
class ExitMechanism:
    kind: str                  # "htif" | "uart" | "uart-magic" | "none"
    symbol: str | None = None  # htif: the ELF symbol of the tohost word
    required: bool = False     # htif: the board file named the symbol, so an ELF must define it
    device: str | None = None  # uart: the UART whose exit byte (0x80 + code) ends the run


@dataclass(frozen=True)
class Board:
    name: str
    path: Path
    regions: tuple[MemoryRegion, ...]     # sorted by base, never overlapping
    interrupts: tuple[Interrupt, ...]     # in board order (= the RTOS's futex word order)
    timer_hz: int | None
    tickrate_hz: int | None
    revoker: str | None                   # "hardware" | "software" | None
    revocable_base: int
    shadow: MemoryRegion | None
    exit: ExitMechanism
    instructions_per_tick: int
    instruction_memory: Extent
    data_memory: Extent | None
    heap_end: int
    simulation: bool
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    isa: Isa = ALL                        # the core's optional extensions and registers

    def region(self, name: str) -> MemoryRegion | None:
        return next((r for r in self.regions if r.name == name), None)

    def region_at(self, address: int) -> MemoryRegion | None:
        return next((r for r in self.regions if r.base <= address < r.end), None)

    @property
    def memory(self) -> tuple[MemoryRegion, ...]:
        """RAM and ROM the firmware can be loaded into (not device windows)."""
        return tuple(r for r in self.regions if r.kind != "mmio" and r.device is None)

    @property
    def devices(self) -> tuple[MemoryRegion, ...]:
        return tuple(r for r in self.regions if r.device is not None)

    def mmio_spans(self) -> list[tuple[int, int]]:
        """Page-aligned (base, size) spans covering every MMIO window, merged."""
        spans: list[list[int]] = []
        for r in self.regions:
            if r.kind != "mmio":
                continue
            if spans and r.map_base <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], r.map_end)
            else:
                spans.append([r.map_base, r.map_end])
        return [(lo, hi - lo) for lo, hi in spans]

    def revocation_map(self) -> RevocationMap | None:
        if self.shadow is None:
            return None
        return RevocationMap(self.revocable_base, self.shadow.base, self.shadow.size)


def load_board(name_or_path: str | Path) -> Board:
    """A shipped board by name (``sail``), or a board file by path."""
    text = str(name_or_path)
    looks_like_path = (isinstance(name_or_path, Path) or "/" in text or "\\" in text
                       or text.endswith((".json", ".json5", ".patch")))
    shipped = SHIPPED_DIR / f"{text}.json"
    if not looks_like_path and shipped.is_file():
        return _Parser(shipped).board(text, _resolve(shipped, 0))
    path = Path(text)
    if path.is_file():
        return _Parser(path).board(path.stem, _resolve(path, 0))
    if looks_like_path:
        raise BoardError(f"{path}: no such board file")
    raise BoardError(f"unknown board '{text}': the shipped boards are "
                     f"{', '.join(shipped_boards())} (or give the path of a board file)")


_JSON5_TOKENS = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|0[xX][0-9a-fA-F]+|,(?=\s*[}\]])', re.DOTALL)


def _plain_json(text: str) -> str:
    """The JSON5 that board files use (comments, hex numbers, trailing commas) as JSON."""
    def plain(match: re.Match[str]) -> str:
        token = match.group()
        if token[0] == '"':
            return token
        if token[0] == "0":
            return str(int(token, 16))
        return " "  # a comment or a trailing comma
    return _JSON5_TOKENS.sub(plain, text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")  # json5 then reports it with its line
    return dict(pairs)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BoardError(f"{path}: cannot read the board file: {e.strerror}") from None
    try:  # the json module first: the json5 parser is pure Python, 0.1-0.4 s a board file
        return json.loads(_plain_json(text), object_pairs_hook=_unique_keys)
    except RecursionError:
        raise BoardError(f"{path}: not a board description: its JSON nests too deeply") from None
    except ValueError:
        pass  # not within the subset _plain_json handles: json5 decides (and explains)
    try:
        return json5.loads(text, allow_duplicate_keys=False)
    except RecursionError:
        raise BoardError(f"{path}: not a board description: its JSON nests too deeply") from None
    except ValueError as e:
        # json5 says "<string>:LINE message"; say which file instead.
        message = re.sub(r"^<string>:(\d+) ", r"line \1: ", str(e))
        raise BoardError(f"{path}: not valid JSON5: {message}") from None


def _resolve(path: Path, depth: int) -> Any:
    """The board document at ``path``, with ``.patch`` files applied to their base."""
    doc = _read(path)
    if not (isinstance(doc, dict) and "base" in doc and "patch" in doc):
        return doc
    if depth > 8:
        raise BoardError(f"{path}: field 'base': patch files nest too deeply (a cycle?)")
    base = doc["base"]
    if not isinstance(base, str):
        raise BoardError(f"{path}: field 'base': must be a board name or file name")
    candidates = [path.parent / base, path.parent / f"{base}.json", SHIPPED_DIR / f"{base}.json"]
    base_path = next((c for c in candidates if c.is_file()), None)
    if base_path is None:
        raise BoardError(f"{path}: field 'base': no board '{base}' next to it or shipped")
    result = _resolve(base_path, depth + 1)
    ops = doc["patch"]
    if not isinstance(ops, list):
        raise BoardError(f"{path}: field 'patch': must be a list of JSON-Patch operations")
    for i, op in enumerate(ops):
        try:
            _apply(result, op)
        except (KeyError, IndexError):
            where = op.get("path") if isinstance(op, dict) else op
            raise BoardError(f"{path}: field 'patch[{i}]': cannot apply: nothing at "
                             f"'{where}' in the base board") from None
        except (ValueError, TypeError) as e:
            raise BoardError(f"{path}: field 'patch[{i}]': cannot apply: {e}") from None
    return result


def _apply(doc: Any, op: Any) -> None:
    """One JSON-Patch (RFC 6902) ``add``/``remove``/``replace`` operation, in place."""
    if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace"):
        raise ValueError("only add, remove and replace operations are supported")
    keys = [k.replace("~1", "/").replace("~0", "~") for k in str(op["path"]).split("/")[1:]]
    if not keys:
        raise ValueError("cannot replace the whole document")
    parent = doc
    for key in keys[:-1]:
        parent = parent[int(key)] if isinstance(parent, list) else parent[key]
    last = keys[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op["op"] == "add":
            parent.insert(index, op["value"])
        elif op["op"] == "remove":
            del parent[index]
        else:
            parent[index] = op["value"]
    else:
        if op["op"] != "add" and last not in parent:
            raise KeyError(last)
        if op["op"] == "remove":
            del parent[last]
        else:
            parent[last] = op["value"]


class _Parser:
    """Checks a board document field by field; every error names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field_name: str, message: str) -> BoardError:
        return BoardError(f"{self.path}: field '{field_name}': {message}")

    # --- scalar fields ------------------------------------------------------------------------

    def number(self, value: Any, name: str, limit: int = ADDRESS_LIMIT) -> int:
        if isinstance(value, str):
            try:
                value = int(value.strip(), 0)
            except ValueError:
                raise self.fail(name, f"'{value}' is not a number (write an integer or a hex "
                                      "literal such as 0x80000000)") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected a number, found {json5.dumps(value)}")
        if not 0 <= value <= limit:
            raise self.fail(name, f"{value:#x} is out of range (0 to {limit:#x})")
        return value

    def get(self, obj: Mapping[str, Any], key: str, prefix: str, kind: type,
            default: Any = ..., what: str = "") -> Any:
        name = f"{prefix}{key}"
        if key not in obj:
            if default is ...:
                raise self.fail(name, f"missing{what}")
            return default
        value = obj[key]
        if kind is int:
            return self.number(value, name)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(name, f"expected {_KIND_NAMES.get(kind, kind.__name__)}, "
                                  f"found {json5.dumps(value)}")
        return value

    def extent(self, obj: Any, name: str) -> Extent:
        if not isinstance(obj, dict):
            raise self.fail(name, "expected an object {start, end} or {start, length}")
        start = self.get(obj, "start", f"{name}.", int)
        end = self.number(obj["end"], f"{name}.end") if "end" in obj else None
        if "length" in obj:
            length = self.number(obj["length"], f"{name}.length")
            if end is not None and end != start + length:
                raise self.fail(f"{name}.end", f"{end:#x} disagrees with start + length "
                                               f"({start + length:#x})")
            end = start + length
        if end is None:
            raise self.fail(name, "needs 'end' or 'length'")
        if end <= start:
            raise self.fail(f"{name}.end", f"{end:#x} is not above start ({start:#x})")
        if end > ADDRESS_LIMIT:
            raise self.fail(f"{name}.end", f"{end:#x} is beyond the 32-bit address space")
        return Extent(start, end)

    # --- the board --------------------------------------------------------------------------

    def board(self, name: str, doc: Any) -> Board:
        if not isinstance(doc, dict):
            raise BoardError(f"{self.path}: a board description must be a JSON object")
        emu = self.get(doc, "emulator", "", dict, {})
        for key in emu:
            if key not in ("memory", "devices", "exit", "instructions_per_tick", "isa"):
                raise self.fail(f"emulator.{key}", "unknown field (known: devices, exit, "
                                                   "instructions_per_tick, isa, memory)")
        defines = self.get(doc, "defines", "", list, [])
        simulation = self.get(doc, "simulation", "", bool, False)
        code = self.extent(self.get(doc, "instruction_memory", "", dict), "instruction_memory")
        data = (self.extent(doc["data_memory"], "data_memory") if "data_memory" in doc
                else None)
        heap = self.get(doc, "heap", "", dict)
        heap_end = self.get(heap, "end", "heap.", int)

        memory = (self.memory(emu["memory"]) if "memory" in emu
                  else self.derived_memory(code, data, heap_end))
        self.check_memory_size(memory)
        devices = self.devices(self.get(doc, "devices", "", dict),
                               self.get(emu, "devices", "emulator.", dict, {}), defines)
        regions = tuple(sorted(memory + devices, key=lambda r: r.base))
        self.check_layout(regions, code, data, heap_end)
        interrupts = self.interrupts(self.get(doc, "interrupts", "", list, []))
        self.check_wiring(devices, interrupts)

        revoker = doc.get("revoker")
        if revoker not in (None, "hardware", "software"):
            raise self.fail("revoker", f"must be \"hardware\" or \"software\" (or absent), "
                                       f"not {json5.dumps(revoker)}")
        if revoker == "hardware" and not any(r.model == "revoker" for r in devices):
            raise self.fail("revoker", "is \"hardware\" but no device uses the revoker model")
        default_r = data.start if data else code.start
        ipt = self.get(emu, "instructions_per_tick", "emulator.", int, 1)
        if ipt < 1:
            raise self.fail("emulator.instructions_per_tick", "must be at least 1")
        return Board(
            name=name, path=self.path, regions=regions,
            interrupts=interrupts,
            timer_hz=self.positive(doc, "timer_hz"), tickrate_hz=self.positive(doc, "tickrate_hz"),
            revoker=revoker,
            revocable_base=self.get(doc, "revokable_memory_start", "", int, default_r),
            shadow=next((r for r in devices if r.model == "shadow"), None),
            exit=self.exit(emu.get("exit"), defines, simulation, devices),
            instructions_per_tick=ipt, instruction_memory=code, data_memory=data,
            heap_end=heap_end, simulation=simulation,
            isa=self.isa(emu.get("isa"), doc.get("cpu")), raw=MappingProxyType(doc))

    # --- the core's ISA (emulator.isa; core/isa.py) -------------------------------------------

    def isa(self, spec: Any, cpu: Any) -> Isa:
        """``emulator.isa``: a core name, or ``{"extensions": [...], "registers": [...]}``.

        Absent: the core the RTOS's ``cpu`` field names (``cheriot-ibex``), else the Sail model.
        """
        cores = ", ".join(sorted(CORES))
        if spec is None:
            return CORES.get(cpu if isinstance(cpu, str) else "", CORES["sail"])
        if isinstance(spec, str):
            if spec not in CORES:
                raise self.fail("emulator.isa", f"unknown core '{spec}' (known: {cores}; or "
                                "an object with 'extensions' and 'registers')")
            return CORES[spec]
        if not isinstance(spec, dict):
            raise self.fail("emulator.isa", f"expected a core name ({cores}) or an object, "
                                            f"found {json5.dumps(spec)}")
        for key in spec:
            if key not in ("extensions", "registers"):
                raise self.fail(f"emulator.isa.{key}", "unknown field (known: extensions, "
                                                       "registers)")
        extensions = self.names(spec, "extensions", EXTENSIONS)
        registers = self.names(spec, "registers", SCRS)
        return Isa(frozenset(extensions), frozenset(registers))

    def names(self, spec: Mapping[str, Any], key: str, known: tuple[str, ...]) -> list[str]:
        where = f"emulator.isa.{key}"
        values = self.get(spec, key, "emulator.isa.", list, [])
        for value in values:
            if not isinstance(value, str) or value.lower() not in known:
                raise self.fail(where, f"unknown name {json5.dumps(value)} "
                                       f"(known: {', '.join(known)})")
        return [v.lower() for v in values]

    def positive(self, doc: Mapping[str, Any], key: str) -> int | None:
        value = self.get(doc, key, "", int, None)
        if value == 0:
            raise self.fail(key, "must be above 0")
        return value

    def memory(self, spec: Any) -> list[MemoryRegion]:
        if not isinstance(spec, dict) or not spec:
            raise self.fail("emulator.memory", "expected an object: name -> {start, end, kind}")
        regions = []
        for name, entry in spec.items():
            where = f"emulator.memory.{name}"
            extent = self.extent(entry, where)
            for key in entry:
                if key not in ("start", "end", "length", "kind", "tagged"):
                    raise self.fail(f"{where}.{key}", "unknown field (known: start, end, "
                                                      "length, kind, tagged)")
            kind = self.get(entry, "kind", f"{where}.", str, "ram")
            if kind not in ("ram", "rom"):
                raise self.fail(f"{where}.kind", f"must be \"ram\" or \"rom\", not \"{kind}\"")
            tagged = self.get(entry, "tagged", f"{where}.", bool, kind == "ram")
            regions.append(MemoryRegion(name, extent.start, extent.end - extent.start, kind,
                                        tagged, field_name=where))
        return regions

    def check_memory_size(self, memory: list[MemoryRegion]) -> None:
        """What the engine can hold: MAX_REGIONS regions, MAX_MEMORY bytes in all."""
        if len(memory) > MAX_REGIONS:
            raise self.fail("emulator.memory", f"{len(memory)} RAM and ROM regions: the "
                                               f"emulator supports at most {MAX_REGIONS}")
        total = sum(r.size for r in memory)
        if total > MAX_MEMORY:
            largest = max(memory, key=lambda r: r.size)
            raise self.fail(largest.field_name, f"{total:#x} bytes of RAM and ROM in all "
                                                f"({largest.size:#x} here): the emulator "
                                                f"supports at most {MAX_MEMORY >> 20} MiB")

    def derived_memory(self, code: Extent, data: Extent | None,
                       heap_end: int) -> list[MemoryRegion]:
        """One tagged RAM for code and one for data, the last reaching up to the heap's end."""
        if data is None:
            return [MemoryRegion("instruction_memory", code.start,
                                 max(code.end, heap_end) - code.start, "ram", True,
                                 field_name="instruction_memory")]
        return [MemoryRegion("instruction_memory", code.start, code.end - code.start, "ram",
                             True, field_name="instruction_memory"),
                MemoryRegion("data_memory", data.start, max(data.end, heap_end) - data.start,
                             "ram", True, field_name="data_memory")]

    def devices(self, spec: dict[str, Any], models: dict[str, Any],
                defines: list[Any]) -> list[MemoryRegion]:
        for name in models:
            if name not in spec:
                raise self.fail(f"emulator.devices.{name}", "names no device in 'devices'")
        regions = []
        for name, entry in spec.items():
            where = f"devices.{name}"
            extent = self.extent(entry, where)
            model, options = self.model(name, models.get(name), defines)
            if extent.end - extent.start < MODELS[model].min_size(options):
                raise self.fail(where, f"{extent.end - extent.start:#x} bytes is too small "
                                       f"for the {model} model (it needs "
                                       f"{MODELS[model].min_size(options):#x})")
            kind = MODELS[model].kind
            regions.append(MemoryRegion(name, extent.start, extent.end - extent.start, kind,
                                        False, device=name, model=model,
                                        options=MappingProxyType(options), field_name=where))
        return regions

    def model(self, name: str, entry: Any, defines: list[Any]) -> tuple[str, dict[str, Any]]:
        where = f"emulator.devices.{name}"
        if entry is None:
            if name not in DEFAULT_MODELS:
                raise self.fail(f"devices.{name}",
                                f"no device model for '{name}': map it in 'emulator.devices' "
                                f"to one of {', '.join(MODELS)} (\"memory\": plain registers)")
            entry = DEFAULT_MODELS[name]
        if isinstance(entry, str):
            entry = {"model": entry}
        if not isinstance(entry, dict):
            raise self.fail(where, "expected a model name or {\"model\": name, options...}")
        model = self.get(entry, "model", f"{where}.", str)
        if model not in MODELS:
            raise self.fail(f"{where}.model", f"unknown model '{model}' "
                                              f"(known: {', '.join(MODELS)})")
        spec = MODELS[model]
        options: dict[str, Any] = {}
        for key in entry:
            if key == "model":
                continue
            if key not in spec.options:
                known = ", ".join(spec.options) or "none"
                raise self.fail(f"{where}.{key}", f"not an option of the {model} model "
                                                  f"(options: {known})")
            options[key] = self.get(entry, key, f"{where}.", spec.options[key])
            if key in spec.choices and options[key] not in spec.choices[key]:
                raise self.fail(f"{where}.{key}", f"must be one of "
                                                  f"{', '.join(spec.choices[key])}")
            lo, hi = spec.ranges.get(key, (0, ADDRESS_LIMIT))
            if isinstance(options[key], int) and not lo <= options[key] <= hi:
                raise self.fail(f"{where}.{key}", f"must be from {lo} to {hi}")
        if model == "clint" and "variant" not in options:
            options["variant"] = ("cheriot-safe" if "MICROSOFT_CHERIOT_SAFE" in defines
                                  else "standard")
            assert options["variant"] in LAYOUTS
        return model, options

    def check_layout(self, regions: tuple[MemoryRegion, ...], code: Extent,
                     data: Extent | None, heap_end: int) -> None:
        for i, b in enumerate(regions):
            for a in regions[:i]:
                if a.end > b.base:
                    raise self.fail(b.field_name, f"{b.base:#010x}-{b.end:#010x} overlaps "
                                                  f"{a.describe()}")
        for r in regions:
            if r.kind == "mmio":
                continue
            for other in regions:
                if other is not r and other.base < r.map_end and r.map_base < other.end:
                    raise self.fail(r.field_name, f"{r.base:#010x}-{r.end:#010x} shares a "
                                                  f"4 KiB page with {other.describe()}; RAM and "
                                                  "ROM are mapped in whole pages")
        memory = [r for r in regions if r.kind in ("ram", "rom") and r.device is None]
        wanted = [("instruction_memory", code.start, code.end)]
        if data is not None:
            wanted.append(("data_memory", data.start, data.end))
        wanted.append(("heap.end", heap_end - 1, heap_end))
        for name, lo, hi in wanted:
            if not any(r.base <= lo and hi <= r.end for r in memory):
                raise self.fail(name, f"{lo:#010x}-{hi:#010x} is not inside one memory region "
                                      f"({', '.join(r.describe() for r in memory)})")

    def check_wiring(self, devices: list[MemoryRegion],
                     interrupts: tuple[Interrupt, ...]) -> None:
        """Interrupt sources must exist on the PLIC (if there is one)."""
        plic = next((r for r in devices if r.model == "plic"), None)
        for r in devices:
            if "irq" in r.options and plic is None:
                raise self.fail(f"emulator.devices.{r.name}.irq",
                                "there is no PLIC device to wire it to")
        if plic is None or "sources" not in plic.options:
            return
        sources = plic.options["sources"]
        for i, irq in enumerate(interrupts):
            if irq.number > int(sources):
                raise self.fail(f"interrupts[{i}].number",
                                f"{irq.number} is above the PLIC's {sources} sources "
                                "(emulator.devices.plic.sources)")
        for r in devices:
            if int(r.options.get("irq", 0)) > int(sources):
                raise self.fail(f"emulator.devices.{r.name}.irq",
                                f"{r.options['irq']} is above the PLIC's {sources} sources")

    def interrupts(self, spec: list[Any]) -> tuple[Interrupt, ...]:
        result: list[Interrupt] = []
        for i, entry in enumerate(spec):
            where = f"interrupts[{i}]"
            if not isinstance(entry, dict):
                raise self.fail(where, "expected {name, number, priority, edge_triggered?}")
            irq = Interrupt(self.get(entry, "name", f"{where}.", str),
                            self.get(entry, "number", f"{where}.", int),
                            self.get(entry, "priority", f"{where}.", int),
                            self.get(entry, "edge_triggered", f"{where}.", bool, False))
            if not 1 <= irq.number <= 1023:
                raise self.fail(f"{where}.number", f"{irq.number} is not a PLIC source (1-1023)")
            if any(other.number == irq.number for other in result):
                raise self.fail(f"{where}.number", f"{irq.number} is used twice")
            result.append(irq)
        return tuple(result)

    def exit(self, spec: Any, defines: list[Any], simulation: bool,
             devices: list[MemoryRegion]) -> ExitMechanism:
        if spec is None:
            if "RISCV_HTIF" in defines:
                return ExitMechanism("htif", symbol="tohost")
            uart = next((r for r in devices if r.model == "uart16550"), None)
            if simulation and "MICROSOFT_CHERIOT_SAFE" in defines and uart is not None:
                return ExitMechanism("uart", device=uart.name)
            console = next((r for r in devices
                            if r.name == "uart" and r.model == "opentitan-uart"), None)
            if simulation and "SUNBURST" in defines and console is not None:
                # The RTOS's Sunburst simulation exit: a magic string on the console UART.
                return ExitMechanism("uart-magic", device=console.name)
            return ExitMechanism("htif", symbol="tohost") if simulation else ExitMechanism("none")
        if not isinstance(spec, dict):
            raise self.fail("emulator.exit",
                            "expected {\"kind\": \"htif\" | \"uart\" | \"uart-magic\" | \"none\"}")
        kind = self.get(spec, "kind", "emulator.exit.", str)
        known = {"htif": ("kind", "symbol"), "uart": ("kind", "device"),
                 "uart-magic": ("kind", "device"), "none": ("kind",)}
        if kind not in known:
            raise self.fail("emulator.exit.kind",
                            f"must be htif, uart, uart-magic or none, not \"{kind}\"")
        for key in spec:
            if key not in known[kind]:
                raise self.fail(f"emulator.exit.{key}", f"not a field of the {kind} exit")
        if kind == "htif":
            return ExitMechanism("htif", symbol=self.get(spec, "symbol", "emulator.exit.", str,
                                                         "tohost"), required="symbol" in spec)
        if kind in ("uart", "uart-magic"):
            model = "uart16550" if kind == "uart" else "opentitan-uart"
            device = self.get(spec, "device", "emulator.exit.", str, "uart")
            if not any(r.name == device and r.model == model for r in devices):
                raise self.fail("emulator.exit.device", f"'{device}' is not a {model} device")
            return ExitMechanism(kind, device=device)
        return ExitMechanism("none")
