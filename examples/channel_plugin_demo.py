"""A channel plugin, checked against the protocol and loaded by name, without installing it.

``examples/channel_plugin/`` is a package skeleton: ``pyproject.toml`` registers ``InboxChannel``
under the ``creditflow.channels`` entry-point group, and ``creditflow_inbox`` implements the
``MessageChannel`` protocol. ``pip install ./examples/channel_plugin`` would put the package on
the path and write its entry points into a ``*.dist-info`` folder; this script does both by hand
in a temporary folder, so ``load_channel`` finds the plugin as it would after installing it.
"""

import atexit
import datetime as dt
import pathlib
import shutil
import sys
import tempfile
import tomllib

import creditflow as cf
from creditflow.adapters import CHANNEL_GROUP, available_channels, load_channel
from creditflow.ports import MessageChannel
from creditflow.testing import InMemoryStore, SettableClock

PLUGIN = pathlib.Path(__file__).parent / "channel_plugin"
sys.path.insert(0, str(PLUGIN / "src"))  # what installing the package would do

from creditflow_inbox import InboxChannel  # noqa: E402

work = pathlib.Path(tempfile.mkdtemp(prefix="creditflow-plugin-"))
atexit.register(shutil.rmtree, work, ignore_errors=True)

# 1. The protocol check: MessageChannel is a runtime-checkable Protocol (one method, send).
assert isinstance(InboxChannel(work / "inbox"), MessageChannel)
print("InboxChannel satisfies creditflow.ports.MessageChannel")

# 2. The entry point, as pip would record it from pyproject.toml.
project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
points = project["entry-points"][CHANNEL_GROUP]
dist_info = work / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
dist_info.mkdir(parents=True)
(dist_info / "METADATA").write_text(
    f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
)
(dist_info / "entry_points.txt").write_text(
    f"[{CHANNEL_GROUP}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
)
sys.path.insert(0, str(dist_info.parent))
print(f"installed channel plugins: {available_channels()}")

# 3. Load it by name, with its options, and use it like any channel.
inbox = load_channel("inbox", folder=work / "inbox")
portal = cf.Channel("inbox")
manager = cf.CreditManager(
    creditor=cf.Creditor(
        key="acme",
        name="Acme B.V.",
        address=cf.Address(street="Keizersgracht 1", city="Amsterdam", country="NL"),
    ),
    store=InMemoryStore(),
    channels={portal: inbox},
    clock=SettableClock(dt.datetime(2026, 1, 26, 9, 0, tzinfo=dt.UTC)),
)
manager.register_schema(
    cf.DunningSchema(
        key="portal",
        steps=[
            cf.Step(
                name="reminder",
                trigger=cf.Trigger.days_after_due(7),
                actions=[cf.SendMessage(channel=portal)],
            )
        ],
    )
)
manager.upsert_debtor(cf.Debtor(code="C-42", kind=cf.DebtorKind.COMPANY, name="Bakkerij Smit"))
manager.register_invoice(
    cf.Invoice(
        number="2026-0001",
        debtor_code="C-42",
        issued_on=dt.date(2026, 1, 5),
        due_on=dt.date(2026, 1, 19),
        currency="EUR",
        total=cf.Money("30.25", "EUR"),
    ),
    schema_key="portal",
)
manager.run()
manager.run()  # a second run delivers nothing twice

lines = (work / "inbox" / "C-42.jsonl").read_text().splitlines()
assert len(lines) == 1
print(f"the portal inbox of C-42 holds {len(lines)} message: {lines[0][:90]}...")
