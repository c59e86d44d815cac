"""The ``Store`` contract: the in-memory fake, SQLite and PostgreSQL all pass these, unchanged."""

from __future__ import annotations

import datetime as dt
import threading

import attrs
import pytest
from _store_samples import (
    CREDITOR,
    DAY,
    debtor_record,
    every_effect,
    every_event,
    new_case,
    schema,
)

from creditflow.engine._case import evolve
from creditflow.errors import ConcurrencyError, DuplicateError, ValidationError
from creditflow.events import CasePaused, Event, FeeCharged, HoldKind
from creditflow.ports import OutboxEntry, Store

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def register(
    store: Store, number: str, *, next_action_on: dt.date | None = DAY, debtor_code: str = "D-1"
) -> None:
    first, case = new_case(number, debtor_code)
    with store.unit_of_work() as uow:
        uow.cases.append(
            CREDITOR, [first], expected_version=0, case=case, next_action_on=next_action_on
        )
        uow.commit()


def pause(number: str, sequence: int) -> Event:
    return CasePaused(
        creditor=CREDITOR,
        invoice_number=number,
        sequence=sequence,
        occurred_on=DAY,
        kind=HoldKind.MANUAL,
        reason=f"pause {sequence}",
    )


def entry(key: str, *, at: dt.datetime = NOW, number: str = "INV-1") -> OutboxEntry:
    effect = every_effect(number)[0]
    return OutboxEntry(effect=attrs.evolve(effect, idempotency_key=key), available_at=at)


class TestEmptyStore:
    def test_knows_nothing(self, store: Store) -> None:
        """A new store has no cases, events, schemas, debtors or outbox entries."""
        with store.unit_of_work() as uow:
            assert uow.cases.load(CREDITOR, "INV-1") is None
            assert list(uow.cases.events(CREDITOR, "INV-1")) == []
            assert uow.cases.due(CREDITOR, DAY, limit=10) == []
            assert uow.cases.of_debtor(CREDITOR, "D-1") == []
            assert uow.schemas.get(CREDITOR, "standard") is None
            assert uow.debtors.get(CREDITOR, "D-1") is None
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == []


class TestEvents:
    def test_append_and_read(self, store: Store) -> None:
        """Appended events come back in order, with the case stored as their snapshot."""
        first, case = new_case()
        second = pause("INV-1", 2)
        after = evolve(case, second)
        with store.unit_of_work() as uow:
            uow.cases.append(
                CREDITOR, [first, second], expected_version=0, case=after, next_action_on=None
            )
            uow.commit()
        with store.unit_of_work() as uow:
            assert list(uow.cases.events(CREDITOR, "INV-1")) == [first, second]
            assert list(uow.cases.events(CREDITOR, "INV-1", after=1)) == [second]
            assert uow.cases.load(CREDITOR, "INV-1") == after

    def test_appends_continue_the_stream(self, store: Store) -> None:
        """Later appends continue at the stored version, each in its own unit of work."""
        register(store, "INV-1")
        case = new_case()[1]
        for sequence in (2, 3, 4):
            event = pause("INV-1", sequence)
            case = evolve(case, event)
            with store.unit_of_work() as uow:
                uow.cases.append(
                    CREDITOR, [event], expected_version=sequence - 1, case=case, next_action_on=DAY
                )
                uow.commit()
        with store.unit_of_work() as uow:
            assert [e.sequence for e in uow.cases.events(CREDITOR, "INV-1")] == [1, 2, 3, 4]
            loaded = uow.cases.load(CREDITOR, "INV-1")
        assert loaded == case
        assert loaded is not None
        assert loaded.version == 4

    def test_every_event_type_round_trips(self, store: Store) -> None:
        """One event of every registered type is stored and read back equal."""
        events = every_event()
        case = attrs.evolve(new_case()[1], version=len(events))
        with store.unit_of_work() as uow:
            uow.cases.append(CREDITOR, events, expected_version=0, case=case, next_action_on=None)
            uow.commit()
        with store.unit_of_work() as uow:
            stored = list(uow.cases.events(CREDITOR, "INV-1"))
        assert stored == events
        assert [type(e) for e in stored] == [type(e) for e in events]

    def test_events_out_of_sequence_are_refused(self, store: Store) -> None:
        """Events must continue the stream: a gap or another invoice's event is refused."""
        register(store, "INV-1")
        case = new_case()[1]
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.cases.append(
                CREDITOR, [pause("INV-1", 3)], expected_version=1, case=case, next_action_on=None
            )
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.cases.append(
                CREDITOR, [pause("INV-2", 2)], expected_version=1, case=case, next_action_on=None
            )

    def test_cases_are_kept_per_creditor(self, store: Store) -> None:
        """The same invoice number of two creditors is two cases."""
        register(store, "INV-1")
        first = new_case()[0]
        other = attrs.evolve(first, creditor="other")
        with store.unit_of_work() as uow:
            uow.cases.append(
                "other", [other], expected_version=0, case=evolve(None, other), next_action_on=None
            )
            uow.commit()
        with store.unit_of_work() as uow:
            assert list(uow.cases.events("other", "INV-1")) == [other]
            assert list(uow.cases.events(CREDITOR, "INV-1")) == [first]
            assert uow.cases.due("other", DAY, limit=10) == []


class TestOptimisticConcurrency:
    def test_stale_expected_version_is_refused(self, store: Store) -> None:
        """An append from a stale version raises ConcurrencyError and writes nothing."""
        register(store, "INV-1")
        case = new_case()[1]
        with store.unit_of_work() as uow:
            uow.cases.append(
                CREDITOR,
                [pause("INV-1", 2)],
                expected_version=1,
                case=evolve(case, pause("INV-1", 2)),
                next_action_on=None,
            )
            uow.commit()
        with store.unit_of_work() as uow, pytest.raises(ConcurrencyError):
            uow.cases.append(
                CREDITOR, [pause("INV-1", 2)], expected_version=1, case=case, next_action_on=None
            )
        with store.unit_of_work() as uow:
            assert [e.sequence for e in uow.cases.events(CREDITOR, "INV-1")] == [1, 2]

    def test_new_case_twice_is_a_duplicate(self, store: Store) -> None:
        """Creating a case that exists (expected version 0) raises DuplicateError."""
        register(store, "INV-1")
        first, case = new_case()
        with store.unit_of_work() as uow, pytest.raises(DuplicateError):
            uow.cases.append(CREDITOR, [first], expected_version=0, case=case, next_action_on=None)

    def test_ahead_of_the_store_is_a_conflict(self, store: Store) -> None:
        """An expected version beyond the stored one is a conflict too."""
        register(store, "INV-1")
        case = new_case()[1]
        with store.unit_of_work() as uow, pytest.raises(ConcurrencyError):
            uow.cases.append(
                CREDITOR, [pause("INV-1", 6)], expected_version=5, case=case, next_action_on=None
            )

    def test_threads_racing_for_one_version(self, store: Store) -> None:
        """Of several threads appending the same version, exactly one wins."""
        register(store, "INV-1")
        case = new_case()[1]
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def writer(index: int) -> None:
            barrier.wait()
            event = attrs.evolve(pause("INV-1", 2), reason=f"writer {index}")
            try:
                with store.unit_of_work() as uow:
                    uow.cases.append(
                        CREDITOR,
                        [event],
                        expected_version=1,
                        case=evolve(case, event),
                        next_action_on=None,
                    )
                    uow.commit()
                outcomes.append("won")
            except ConcurrencyError:
                outcomes.append("conflict")

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict"] * 3 + ["won"]
        with store.unit_of_work() as uow:
            assert [e.sequence for e in uow.cases.events(CREDITOR, "INV-1")] == [1, 2]

    def test_threads_writing_different_cases(self, store: Store) -> None:
        """Threads registering different cases at once all succeed."""
        threads = [threading.Thread(target=register, args=(store, f"INV-{i:02}")) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=100) == [f"INV-{i:02}" for i in range(8)]


class TestDueCases:
    def test_only_due_cases_in_date_then_number_order(self, store: Store) -> None:
        """``due`` lists cases due on or before today, earliest first, then by number."""
        register(store, "C", next_action_on=DAY - dt.timedelta(days=1))
        register(store, "B", next_action_on=DAY)
        register(store, "A", next_action_on=DAY)
        register(store, "D", next_action_on=DAY + dt.timedelta(days=1))
        register(store, "E", next_action_on=None)
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=10) == ["C", "A", "B"]
            assert uow.cases.due(CREDITOR, DAY + dt.timedelta(days=30), limit=10) == [
                "C",
                "A",
                "B",
                "D",
            ]
            assert uow.cases.due(CREDITOR, DAY - dt.timedelta(days=2), limit=10) == []

    def test_limit(self, store: Store) -> None:
        """``due`` returns at most *limit* cases, the earliest."""
        for day in range(5):
            register(store, f"INV-{day}", next_action_on=DAY - dt.timedelta(days=day))
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=2) == ["INV-4", "INV-3"]

    def test_append_moves_the_next_action(self, store: Store) -> None:
        """An append (even without events) stores the case's new ``next_action_on``."""
        register(store, "INV-1", next_action_on=DAY)
        case = new_case()[1]
        with store.unit_of_work() as uow:
            uow.cases.append(
                CREDITOR,
                [],
                expected_version=1,
                case=case,
                next_action_on=DAY + dt.timedelta(days=7),
            )
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY, limit=10) == []
            assert uow.cases.due(CREDITOR, DAY + dt.timedelta(days=7), limit=10) == ["INV-1"]
            uow.cases.append(CREDITOR, [], expected_version=1, case=case, next_action_on=None)
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.cases.due(CREDITOR, DAY + dt.timedelta(days=700), limit=10) == []


class TestDebtors:
    def test_debtor_index(self, store: Store) -> None:
        """``of_debtor`` lists the debtor's cases and no one else's."""
        register(store, "INV-1", debtor_code="D-1")
        register(store, "INV-2", debtor_code="D-2")
        register(store, "INV-3", debtor_code="D-1")
        with store.unit_of_work() as uow:
            assert sorted(uow.cases.of_debtor(CREDITOR, "D-1")) == ["INV-1", "INV-3"]
            assert uow.cases.of_debtor(CREDITOR, "D-2") == ["INV-2"]
            assert uow.cases.of_debtor("other", "D-1") == []

    def test_put_get_replace(self, store: Store) -> None:
        """Debtors are stored, read back equal, and replaced by a later put."""
        with store.unit_of_work() as uow:
            uow.debtors.put(CREDITOR, debtor_record())
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.debtors.get(CREDITOR, "D-1") == debtor_record()
            uow.debtors.put(CREDITOR, debtor_record(hold="holiday"))
            uow.commit()
        with store.unit_of_work() as uow:
            record = uow.debtors.get(CREDITOR, "D-1")
            assert record == debtor_record(hold="holiday")
            assert record is not None
            assert record.is_paused
            assert uow.debtors.get("other", "D-1") is None


class TestSchemas:
    def test_versions(self, store: Store) -> None:
        """All versions are kept; ``get`` gives the latest or the one asked for."""
        with store.unit_of_work() as uow:
            uow.schemas.add(CREDITOR, schema(version=1))
            uow.schemas.add(CREDITOR, schema(version=2))
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.schemas.get(CREDITOR, "standard") == schema(version=2)
            assert uow.schemas.get(CREDITOR, "standard", 1) == schema(version=1)
            assert uow.schemas.get(CREDITOR, "standard", 3) is None
            assert uow.schemas.get("other", "standard") is None

    def test_same_version_twice_is_a_duplicate(self, store: Store) -> None:
        """Adding a version that exists raises DuplicateError."""
        with store.unit_of_work() as uow:
            uow.schemas.add(CREDITOR, schema())
            uow.commit()
        with store.unit_of_work() as uow, pytest.raises(DuplicateError):
            uow.schemas.add(CREDITOR, schema())


class TestOutbox:
    def test_pending_oldest_first_only_available(self, store: Store) -> None:
        """``pending`` lists undone entries available by *now*, oldest first, up to *limit*."""
        later = NOW + dt.timedelta(hours=1)
        with store.unit_of_work() as uow:
            uow.outbox.add(
                CREDITOR,
                [
                    entry("k-b", at=NOW - dt.timedelta(minutes=5)),
                    entry("k-a", at=NOW),
                    entry("k-c", at=NOW - dt.timedelta(minutes=5)),
                    entry("k-later", at=later),
                ],
            )
            uow.commit()
        with store.unit_of_work() as uow:
            keys = [e.idempotency_key for e in uow.outbox.pending(CREDITOR, NOW, limit=10)]
            assert keys == ["k-b", "k-c", "k-a"]
            keys = [e.idempotency_key for e in uow.outbox.pending(CREDITOR, NOW, limit=2)]
            assert keys == ["k-b", "k-c"]
            assert uow.outbox.pending("other", later, limit=10) == []

    def test_entries_round_trip(self, store: Store) -> None:
        """Every effect type is stored and comes back equal, with its delivery state."""
        effects = every_effect()
        entries = [
            OutboxEntry(
                effect=effect, available_at=NOW, attempts=i, channel_index=i, last_error="e"
            )
            for i, effect in enumerate(effects)
        ]
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, entries)
            uow.commit()
        with store.unit_of_work() as uow:
            pending = uow.outbox.pending(CREDITOR, NOW, limit=10)
        assert sorted(pending, key=lambda e: e.idempotency_key) == sorted(
            entries, key=lambda e: e.idempotency_key
        )

    def test_same_key_twice_keeps_the_first(self, store: Store) -> None:
        """A key that is queued (or done) already is ignored, in one unit of work or later."""
        first = entry("k-1")
        second = attrs.evolve(entry("k-1"), attempts=7, available_at=NOW - dt.timedelta(days=1))
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, [first, second])
            uow.commit()
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, [second])
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == [first]
            uow.outbox.update(CREDITOR, attrs.evolve(first, done=True))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, [first])
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == []

    def test_update(self, store: Store) -> None:
        """``update`` stores a retry (later, more attempts) and the end (done)."""
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, [entry("k-1")])
            uow.commit()
        retry = attrs.evolve(
            entry("k-1"),
            attempts=1,
            channel_index=1,
            last_error="timeout",
            available_at=NOW + dt.timedelta(minutes=5),
        )
        with store.unit_of_work() as uow:
            uow.outbox.update(CREDITOR, retry)
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == []
            assert uow.outbox.pending(CREDITOR, retry.available_at, limit=10) == [retry]
            uow.outbox.update(CREDITOR, attrs.evolve(retry, done=True))
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.outbox.pending(CREDITOR, NOW + dt.timedelta(days=1), limit=10) == []

    def test_update_of_unknown_entry_is_refused(self, store: Store) -> None:
        """Updating a key that was never added raises ValidationError."""
        with store.unit_of_work() as uow, pytest.raises(ValidationError):
            uow.outbox.update(CREDITOR, entry("never-added"))

    def test_available_at_in_any_time_zone(self, store: Store) -> None:
        """Instants compare as instants, whatever time zone they were given in."""
        cet = dt.timezone(dt.timedelta(hours=1))
        with store.unit_of_work() as uow:
            uow.outbox.add(CREDITOR, [entry("k-1", at=dt.datetime(2026, 1, 5, 10, 0, tzinfo=cet))])
            uow.commit()
        with store.unit_of_work() as uow:
            assert len(uow.outbox.pending(CREDITOR, NOW, limit=10)) == 1
            assert uow.outbox.pending(CREDITOR, NOW - dt.timedelta(seconds=1), limit=10) == []


class TestUnitOfWork:
    def test_leaving_without_commit_rolls_back(self, store: Store) -> None:
        """Nothing of a unit of work left without ``commit()`` is kept."""
        first, case = new_case()
        with store.unit_of_work() as uow:
            uow.cases.append(CREDITOR, [first], expected_version=0, case=case, next_action_on=DAY)
            uow.debtors.put(CREDITOR, debtor_record())
            uow.schemas.add(CREDITOR, schema())
            uow.outbox.add(CREDITOR, [entry("k-1")])
        with store.unit_of_work() as uow:
            assert uow.cases.load(CREDITOR, "INV-1") is None
            assert list(uow.cases.events(CREDITOR, "INV-1")) == []
            assert uow.cases.due(CREDITOR, DAY, limit=10) == []
            assert uow.debtors.get(CREDITOR, "D-1") is None
            assert uow.schemas.get(CREDITOR, "standard") is None
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == []

    def test_exception_rolls_back_and_propagates(self, store: Store) -> None:
        """An exception in the ``with`` block undoes the unit of work and is re-raised."""
        first, case = new_case()

        def fail_half_way() -> None:
            with store.unit_of_work() as uow:
                uow.cases.append(
                    CREDITOR, [first], expected_version=0, case=case, next_action_on=DAY
                )
                uow.outbox.add(CREDITOR, [entry("k-1")])
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_half_way()
        with store.unit_of_work() as uow:
            assert uow.cases.load(CREDITOR, "INV-1") is None
            assert uow.outbox.pending(CREDITOR, NOW, limit=10) == []

    def test_a_unit_of_work_sees_its_own_writes(self, store: Store) -> None:
        """Before commit, a unit of work reads back what it wrote."""
        first, case = new_case()
        with store.unit_of_work() as uow:
            uow.cases.append(CREDITOR, [first], expected_version=0, case=case, next_action_on=DAY)
            uow.debtors.put(CREDITOR, debtor_record())
            uow.schemas.add(CREDITOR, schema())
            assert uow.cases.load(CREDITOR, "INV-1") == case
            assert list(uow.cases.events(CREDITOR, "INV-1")) == [first]
            assert uow.debtors.get(CREDITOR, "D-1") == debtor_record()
            assert uow.schemas.get(CREDITOR, "standard") == schema()

    def test_work_after_commit_needs_its_own_commit(self, store: Store) -> None:
        """What follows a ``commit()`` in the same block is rolled back unless committed too."""
        with store.unit_of_work() as uow:
            uow.debtors.put(CREDITOR, debtor_record("D-1"))
            uow.commit()
            uow.debtors.put(CREDITOR, debtor_record("D-2"))
        with store.unit_of_work() as uow:
            assert uow.debtors.get(CREDITOR, "D-1") is not None
            assert uow.debtors.get(CREDITOR, "D-2") is None

    def test_refused_append_leaves_the_unit_usable(self, store: Store) -> None:
        """After a refused append the unit of work goes on, and its other work can commit."""
        register(store, "INV-1")
        first, case = new_case()
        with store.unit_of_work() as uow:
            uow.debtors.put(CREDITOR, debtor_record())
            with pytest.raises(DuplicateError):
                uow.cases.append(
                    CREDITOR, [first], expected_version=0, case=case, next_action_on=None
                )
            with pytest.raises(ConcurrencyError):
                uow.cases.append(
                    CREDITOR,
                    [pause("INV-1", 3)],
                    expected_version=2,
                    case=case,
                    next_action_on=None,
                )
            fee = FeeCharged(
                creditor=CREDITOR,
                invoice_number="INV-1",
                sequence=2,
                occurred_on=DAY,
                amount=case.account.principal,
                description="x",
            )
            uow.cases.append(
                CREDITOR, [fee], expected_version=1, case=evolve(case, fee), next_action_on=None
            )
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.debtors.get(CREDITOR, "D-1") == debtor_record()
            assert [e.sequence for e in uow.cases.events(CREDITOR, "INV-1")] == [1, 2]


class TestWithTheManager:
    def test_a_run_twice_sends_once(self, store: Store) -> None:
        """The manager on each store: a run sends the reminder once; a second run sends nothing."""
        from _store_worker import NOW, make_manager, messages_sent, setup

        from creditflow.testing import RecordingChannel

        numbers = setup(store, 3)
        channel = RecordingChannel()
        manager = make_manager(store, channel)
        first = manager.run(NOW)
        second = manager.run(NOW)
        assert first.messages_sent == 3
        assert second.messages_sent == 0
        assert len(channel.sent) == 3
        assert sorted(messages_sent(store, numbers)) == sorted(
            m.idempotency_key.removesuffix("#email") for m in channel.sent
        )

    def test_repeated_payment_inside_a_unit_of_work(self, store: Store) -> None:
        """Recording the same payment twice is harmless (the manager nests a unit of work)."""
        from _store_worker import NOW, make_manager, setup

        import creditflow as cf
        from creditflow.testing import RecordingChannel

        setup(store, 1)
        manager = make_manager(store, RecordingChannel())
        payment = cf.Payment(
            amount=cf.Money("40.00", "EUR"), method="ideal", reference="P-1", paid_on=NOW.date()
        )
        manager.record_payment("INV-000", payment)
        status = manager.record_payment("INV-000", payment)
        assert status.paid_amount == cf.Money("40.00", "EUR")
        assert len(manager.history("INV-000")) == 2
