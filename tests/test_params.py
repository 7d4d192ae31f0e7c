"""Parameters (SPEC 6): the shipped files load; versions, unknown keys, types, --set, bands, tiers.

Tests that need a changed or broken file copy params/ into tmp_path and edit the copy.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tiering.params import (
    ParameterError,
    ScoreBand,
    band_findings,
    load_parameters,
    policy_files,
    threshold_findings,
)

PARAMS = Path(__file__).parents[1] / "params"
POLICY = PARAMS / "policy-2017.yaml"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A private copy of params/ to edit."""
    copy = tmp_path / "params"
    shutil.copytree(PARAMS, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def error_of(path: Path, as_of: date | None = None, sets: tuple[str, ...] = ()) -> str:
    with pytest.raises(ParameterError) as err:
        load_parameters(path, as_of, sets)
    return str(err.value)


# --- the shipped files ----------------------------------------------------------------------


@pytest.mark.parametrize("policy", policy_files(PARAMS), ids=lambda p: p.name)
def test_every_shipped_policy_file_loads_with_its_questionnaire_and_calendar(policy):
    params = load_parameters(policy)
    assert params.source == policy.name
    assert params.policy.effective_from <= date(2026, 9, 30)
    assert params.questionnaire.questions
    assert params.warnings() == []  # the shipped thresholds have no gap and no overlap


def test_every_file_in_params_is_loaded_by_some_policy():
    # Each policy file names its questionnaire and calendar file; together with the policy
    # files themselves they must account for every file shipped in params/.
    loaded = set()
    for policy in policy_files(PARAMS):
        params = load_parameters(policy)
        loaded |= {
            policy.name,
            params.policy.risk.questionnaire,
            params.policy.calendar.extra_years,
        }
    shipped = {p.name for p in PARAMS.iterdir() if p.is_file()}
    assert shipped == loaded


def test_default_questionnaire_has_nine_questions_scoring_9_to_100():
    q = load_parameters(POLICY).questionnaire
    assert [x.id for x in q.questions] == [f"q{i:02d}" for i in range(1, 10)]
    assert {x.dimension for x in q.questions} == {
        "age",
        "knowledge",
        "experience",
        "finance",
        "preference",
    }
    assert (q.min_total, q.max_total) == (9, 100)


def test_default_policy_holds_the_seed_numbers():
    policy = load_parameters(POLICY).policy
    assert [(b.id, b.min_score, b.max_score) for b in policy.risk.bands] == [
        ("conservative", 9, 40),
        ("balanced", 41, 75),
        ("aggressive", 76, 100),
    ]
    assert policy.risk.assessment_valid_years == 2
    assert [lv.id for lv in policy.levels] == ["ordinary", "potential", "core", "vip"]
    assert dict(policy.cycle.due_working_days) == {"annual": 10, "quarterly": 3, "monthly": 5}
    assert list(policy.tiers) == ["vip", "core_a", "core_b", "potential", "ordinary"]


def test_shipped_folder_picks_the_2017_policy_for_a_current_date():
    params = load_parameters(PARAMS, date(2026, 9, 30))
    assert params.source == "policy-2017.yaml"
    assert params.policy.version == "2017.1"


# --- versions -------------------------------------------------------------------------------


def add_version(folder: Path, name: str, version: str, start: str) -> None:
    text = (folder / "policy-2017.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2017.1"', f'version: "{version}"')
    text = text.replace("effective_from: 2017-06-01", f"effective_from: {start}")
    (folder / name).write_text(text, encoding="utf-8")


def test_version_in_force_is_picked_by_effective_from(folder):
    add_version(folder, "policy-2026.yaml", "2026.1", "2026-01-01")
    before = load_parameters(folder, date(2025, 12, 31))
    on = load_parameters(folder, date(2026, 1, 1))
    later = load_parameters(folder, date(2026, 9, 30))
    assert (before.source, before.policy.version) == ("policy-2017.yaml", "2017.1")
    assert (on.source, on.policy.version) == ("policy-2026.yaml", "2026.1")
    assert later.source == "policy-2026.yaml"
    assert before.hash != on.hash


def test_no_version_in_force_is_an_error(folder):
    message = error_of(folder, date(2017, 5, 31))  # the 2017 policy starts 2017-06-01
    assert "2017-05-31" in message and "2017-06-01" in message


def test_first_day_of_a_version_is_in_force():
    assert load_parameters(PARAMS, date(2017, 6, 1)).source == "policy-2017.yaml"


def test_two_versions_with_the_same_effective_from_are_an_error(folder):
    add_version(folder, "policy-2017b.yaml", "2017.2", "2017-06-01")
    assert "effective_from" in error_of(folder, date(2026, 9, 30))


def test_folder_without_policy_files_is_an_error(tmp_path):
    assert "policy-" in error_of(tmp_path, date(2026, 9, 30))


def test_missing_parameters_path_is_an_error(tmp_path):
    assert "not found" in error_of(tmp_path / "nowhere.yaml")


# --- unknown keys, missing values, wrong types ----------------------------------------------


def test_unknown_top_level_key_names_the_key(folder):
    with (folder / "policy-2017.yaml").open("a", encoding="utf-8") as fh:
        fh.write("colour: red\n")
    message = error_of(folder / "policy-2017.yaml")
    assert "colour: unknown key" in message
    assert "policy-2017.yaml" in message


def test_unknown_key_inside_a_section_names_the_dotted_key(folder):
    edit(
        folder / "policy-2017.yaml",
        "  require_signed: true",
        "  require_signed: true\n  require_sigend: true",
    )
    assert "risk.require_sigend: unknown key" in error_of(folder / "policy-2017.yaml")


def test_misspelt_tier_bound_names_the_tier_and_the_key(folder):
    edit(folder / "policy-2017.yaml", "min_avg_assets: 5000000", "min_avg_asets: 5000000")
    message = error_of(folder / "policy-2017.yaml")
    assert "tiers.vip" in message and "min_avg_asets" in message


def test_unknown_key_in_the_questionnaire_names_the_key_and_file(folder):
    edit(
        folder / "questionnaire.yaml", "    dimension: age\n", "    dimension: age\n    weight: 2\n"
    )
    message = error_of(folder / "policy-2017.yaml")
    assert "questionnaire.yaml" in message and "questions.0.weight: unknown key" in message


def test_missing_value_names_the_key(folder):
    edit(folder / "policy-2017.yaml", "  assessment_valid_years: 2", "")
    message = error_of(folder / "policy-2017.yaml")
    assert "risk.assessment_valid_years" in message


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("risk.assessment_valid_years=two", "risk.assessment_valid_years"),
        ("cycle.due_working_days.annual=ten", "cycle.due_working_days.annual"),
        ("risk.scale=seven", "risk.scale"),
        ("tiers.vip.min_avg_assets=lots", "min_avg_assets"),
        ("tiers.vip.min_avg_assets=true", "min_avg_assets"),  # a bool is not a number
        ("tiers.vip.min_avg_assets_inclusive=maybe", "min_avg_assets_inclusive"),
    ],
)
def test_wrong_type_names_the_key(setting, key):
    message = error_of(POLICY, sets=(setting,))
    assert key in message


def test_wrong_type_in_the_file_names_the_key(folder):
    edit(
        folder / "policy-2017.yaml", "  assessment_valid_years: 2", "  assessment_valid_years: [2]"
    )
    assert "risk.assessment_valid_years" in error_of(folder / "policy-2017.yaml")


def test_assessment_validity_above_the_three_year_limit_is_refused():
    assert "risk.assessment_valid_years" in error_of(
        POLICY, sets=("risk.assessment_valid_years=4",)
    )


# --- --set ----------------------------------------------------------------------------------


def test_set_overrides_a_nested_value_and_changes_the_hash():
    default = load_parameters(POLICY)
    changed = load_parameters(POLICY, sets=["tiers.vip.min_avg_assets=3000000"])
    vip = {b.indicator: b for b in changed.policy.tiers["vip"].bounds}
    assert vip["avg_assets"].min == 3_000_000
    assert not vip["avg_assets"].min_inclusive  # the rest of the rule is untouched
    assert changed.overrides == ("tiers.vip.min_avg_assets=3000000",)
    assert changed.hash != default.hash


def test_hash_is_the_same_for_the_same_parameters():
    assert load_parameters(POLICY).hash == load_parameters(POLICY).hash


def test_set_reaches_a_list_item_by_its_id():
    params = load_parameters(POLICY, sets=["risk.three_band.aggressive.label=进取型"])
    assert [b.label for b in params.policy.risk.bands] == ["保守型", "稳健型", "进取型"]


def test_set_of_an_unknown_key_names_the_key():
    message = error_of(POLICY, sets=("tiers.vip.min_avg_asets=1",))
    assert "tiers.vip" in message and "min_avg_asets" in message


@pytest.mark.parametrize("setting", ["tiers.vip.min_avg_assets", "=3", ""])
def test_set_without_key_and_equals_sign_is_an_error(setting):
    assert "KEY=VALUE" in error_of(POLICY, sets=(setting,))


def test_set_of_a_missing_list_item_is_an_error():
    assert "C9" in error_of(POLICY, sets=("risk.five_level.C9.max_score=3",))


def test_set_below_a_plain_value_is_an_error():
    assert "risk.scale" in error_of(POLICY, sets=("risk.scale.x=1",))


# --- risk bands -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        # balanced starts at 42: a score of 41 has no band
        ("risk.three_band.balanced.min_score=42", "between 40 and 42"),
        # balanced starts at 40: a score of 40 is in two bands
        ("risk.three_band.balanced.min_score=40", "conservative and balanced overlap"),
        # the questionnaire reaches 100
        ("risk.three_band.aggressive.max_score=99", "above 99"),
        # and starts at 9
        ("risk.three_band.conservative.min_score=10", "from 9 to 10"),
        # the five-level scale is checked when it is the scale in use
        ("risk.five_level.C3.min_score=42", "between 40 and 42"),
    ],
)
def test_bands_with_a_gap_or_overlap_are_refused(setting, words):
    sets = (setting,) if "three_band" in setting else (setting, "risk.scale=five_level")
    message = error_of(POLICY, sets=sets)
    assert words in message
    assert "risk." in message


def test_questionnaire_reaching_beyond_the_bands_is_refused(folder):
    # q09 D from 10 to 12 points: the highest total becomes 102, above the last band's 100.
    edit(
        folder / "questionnaire.yaml",
        "{text: 追求高收益, points: 10}",
        "{text: 追求高收益, points: 12}",
    )
    assert "above 100 up to 102" in error_of(folder / "policy-2017.yaml")


def test_band_findings_lists_every_problem():
    questionnaire = load_parameters(POLICY).questionnaire  # 9..100
    bands = [
        ScoreBand(id="low", label="低", min_score=10, max_score=40),  # 9 uncovered
        ScoreBand(id="mid", label="中", min_score=40, max_score=70),  # 40 in two bands
        ScoreBand(id="high", label="高", min_score=72, max_score=100),  # 71 uncovered
    ]
    found = band_findings(bands, questionnaire)
    assert len(found) == 3
    assert any("from 9 to 10" in f for f in found)
    assert any("low and mid overlap" in f for f in found)
    assert any("between 70 and 72" in f for f in found)


def test_contiguous_bands_have_no_findings():
    params = load_parameters(POLICY)
    assert band_findings(params.policy.risk.three_band, params.questionnaire) == []
    assert band_findings(params.policy.risk.five_level, params.questionnaire) == []


# --- tier thresholds ------------------------------------------------------------------------


def findings_with(*sets: str) -> list[str]:
    return threshold_findings(load_parameters(POLICY, sets=sets).policy)


def test_shipped_tiers_close_the_seeds_five_million_hole():
    # The seed's table has VIP "> 5,000,000" and core B "< 5,000,000"; the default puts
    # exactly 5,000,000 in core B, so there is no gap and no overlap.
    assert findings_with() == []


def test_tier_gap_at_exactly_one_value_is_reported():
    # Core B back to the seed's "< 5,000,000": exactly 5,000,000 is in neither tier.
    found = findings_with("tiers.core_b.max_avg_assets_inclusive=false")
    assert len(found) == 1
    assert "gap on avg_assets" in found[0] and "5,000,000" in found[0]
    assert "core_b" in found[0] and "vip" in found[0]


def test_tier_overlap_at_exactly_one_value_is_reported():
    # VIP made "≥ 5,000,000" while core B keeps "≤ 5,000,000": 5,000,000 is in both.
    found = findings_with("tiers.vip.min_avg_assets_inclusive=true")
    assert len(found) == 1
    assert "overlap on avg_assets" in found[0] and "5,000,000" in found[0]


def test_tier_gap_between_bands_is_reported():
    # Potential up to 400,000, core B from 500,000: 400,000..500,000 is in neither.
    found = findings_with("tiers.potential.max_avg_assets=400000")
    assert found == [
        "gap on avg_assets: values from 400,000 to 500,000 are in neither potential nor core_b"
    ]


def test_tier_overlap_between_bands_is_reported():
    # Potential up to 600,000, core B from 500,000: 500,000..600,000 is in both.
    found = findings_with("tiers.potential.max_avg_assets=600000")
    assert len(found) == 1
    assert "overlap on avg_assets" in found[0]
    assert "potential" in found[0] and "core_b" in found[0]


def test_tier_gap_on_the_fee_is_reported():
    # Core A up to 40,000, VIP from 50,000: fees of 40,000..50,000 are in neither.
    found = findings_with("tiers.core_a.max_mgmt_fee_last_year=40000")
    assert len(found) == 1
    assert "gap on mgmt_fee_last_year" in found[0] and "40,000" in found[0]


def test_lowering_the_vip_threshold_overlaps_core_b_and_says_the_higher_tier_wins():
    # SPEC 6's example: VIP from 3,000,000 overlaps core B (500,000..5,000,000); it still
    # loads (it is a what-if), and the warning says VIP, checked first, wins.
    params = load_parameters(POLICY, sets=["tiers.vip.min_avg_assets=3000000"])
    found = params.warnings()
    assert len(found) == 1
    assert "overlap on avg_assets" in found[0] and "higher tier in order wins" in found[0]


# --- calendar file --------------------------------------------------------------------------


def test_calendar_extra_years_are_loaded_and_change_the_hash(folder):
    default = load_parameters(folder / "policy-2017.yaml")
    (folder / "calendar-extra.yaml").write_text(
        "2099:\n  holidays: [2099-01-01]\n  workdays: [2099-01-03]\n", encoding="utf-8"
    )
    params = load_parameters(folder / "policy-2017.yaml")
    assert date(2099, 1, 1) in params.extra_years[2099].holidays
    assert date(2099, 1, 3) in params.extra_years[2099].workdays
    assert params.hash != default.hash


def test_malformed_calendar_file_is_an_error_naming_the_file(folder):
    (folder / "calendar-extra.yaml").write_text("2099: [2099-01-01]\n", encoding="utf-8")
    assert "calendar-extra.yaml" in error_of(folder / "policy-2017.yaml")


def test_churn_levels_must_be_known_levels():
    message = error_of(POLICY, sets=("rfm.churn.levels=[core, gold]",))
    assert "rfm.churn.levels" in message and "gold" in message


def test_rfm_scores_are_tier_indicators():
    params = load_parameters(POLICY, sets=["tiers.potential.min_rfm_m=5"])
    bounds = {b.indicator: (b.min, b.max) for b in params.policy.tiers["potential"].bounds}
    assert bounds == {"avg_assets": (100_000.0, 500_000.0), "rfm_m": (5.0, None)}
