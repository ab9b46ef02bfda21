//! Rule files that are wrong are refused whole, at file:line:column, and nothing is
//! assessed with them.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-norms cargo test -p pacta-norms --test loading`

use pacta_norms::*;

const HEADER: &str = "# Test instrument\n\n```instrument\nid: test\ntitle: Test\ncites: Test instrument\nscope: universal\n```\n";

/// Loads `body` (after a valid instrument header, 8 lines) as `t.md`, expecting refusal,
/// and returns the errors as text.
fn refused(body: &str) -> String {
    let src = vec![("norms/t.md".to_string(), format!("{HEADER}{body}"))];
    match Instruments::load(&src) {
        Ok(_) => panic!("should have been refused:\n{body}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_rule_file_with_a_cycle_of_exceptions_is_refused_with_file_line_column() {
    let body = "
```rule
id: t.base
kind: prohibition
force: law
cites: base
breached when: intrusion
```

```rule
id: t.a
kind: exception
exception to: t.b
cites: a
applies when: consent
```

```rule
id: t.b
kind: exception
exception to: t.a
cites: b
applies when: consent
```
";
    let e = refused(body);
    // Line 21: the first `exception to: t.b`: `exception to: t.b`, value at column 15.
    assert!(e.contains("norms/t.md:21:15: cycle of exceptions: t.a -> t.b -> t.a"), "{e}");
}

#[test]
fn a_rule_naming_an_unknown_fact_is_refused_at_the_name() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\nforce: law\ncites: x\nbreached when: intrusion and hacked_badly\n```\n");
    assert!(e.starts_with("norms/t.md:15:30: unknown fact `hacked_badly`"), "{e}");
}

#[test]
fn a_rule_naming_an_unknown_rule_is_refused() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\nforce: law\ncites: x\nbreached when: tallinn.r4.conduct\n```\n");
    assert!(e.contains("norms/t.md:15:16: unknown rule `tallinn.r4.conduct`"), "{e}");
}

#[test]
fn rules_that_read_each_other_in_a_circle_are_refused() {
    let body = "
```rule
id: t.a
kind: definition
force: law
cites: a
holds when: t.b
```

```rule
id: t.b
kind: definition
force: law
cites: b
holds when: intrusion and t.a
```
";
    let e = refused(body);
    assert!(e.contains("rules read each other in a circle: t.a -> t.b -> t.a"), "{e}");
    assert!(e.starts_with("norms/t.md:23:"), "{e}");
}

#[test]
fn a_syntax_error_in_a_condition_is_refused_where_it_is() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\nforce: law\ncites: x\nbreached when: intrusion and consent or zero_day\n```\n");
    assert!(e.starts_with("norms/t.md:15:38:"), "{e}");
    assert!(e.contains("parentheses"), "{e}");
}

#[test]
fn a_condition_can_span_lines_and_errors_keep_their_line() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\nforce: law\ncites: x\nbreached when: intrusion\n  and (consent or zero_dy)\n```\n");
    assert!(e.starts_with("norms/t.md:16:19: unknown fact `zero_dy`"), "{e}");
}

#[test]
fn missing_keys_and_wrong_kinds_are_refused() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\ncites: x\npermitted when: intrusion\n```\n");
    assert!(e.contains("a rule needs `force:`"), "{e}");
    assert!(e.contains("a prohibition states its outcome with `breached when`"), "{e}");
    let e = refused("\n```rule\nid: t.r\nkind: duty\nforce: law\ncites: x\n```\n");
    assert!(e.contains("norms/t.md:12:7: kind `duty` is not one of"), "{e}");
    let e = refused("\n```rule\nid: t.r\nkind: definition\nforce: law\ncites: x\nholds when: intrusion\nsays: hi\n```\n");
    assert!(e.contains("norms/t.md:16:1: unknown key `says`"), "{e}");
}

#[test]
fn a_regional_overlay_may_tailor_but_not_except_a_universal_rule() {
    let mut src = builtin_sources();
    src.push((
        "norms/overlay.md".into(),
        "```instrument\nid: eu-x\ntitle: x\ncites: x\nscope: regional\nparties: FR, DE\n```\n\n```rule\nid: eu.x\nkind: exception\nexception to: gge.13f\ncites: x\napplies when: true\n```\n".into(),
    ));
    let e = Instruments::load(&src).unwrap_err().to_string();
    assert!(e.contains("norms/overlay.md:12:15: a regional overlay may tailor `gge.13f` but not make an exception to it"), "{e}");
}

#[test]
fn one_bad_file_refuses_the_whole_set() {
    let mut src = builtin_sources();
    src.push(("norms/bad.md".into(), "```rule\nid: x.y\nkind: definition\nforce: law\ncites: x\nholds when: true\n```\n".into()));
    let e = Instruments::load(&src).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert_eq!(e.0[0].file, "norms/bad.md");
    assert!(e.0[0].message.contains("```instrument"));
}

#[test]
fn the_builtin_instruments_load_and_every_rule_cites_its_source() {
    let law = builtin();
    assert_eq!(law.version().len(), 64);
    assert!(law.instruments().len() >= 10);
    let gge: Vec<&str> = law.rules().map(|(id, _)| id).filter(|id| id.starts_with("gge.13")).collect();
    assert_eq!(gge, ["gge.13a", "gge.13b", "gge.13c", "gge.13d", "gge.13e", "gge.13f", "gge.13g", "gge.13h", "gge.13i", "gge.13j", "gge.13k"]);
    for (id, cites) in law.rules() {
        assert!(!cites.trim().is_empty(), "{id} has no citation");
    }
    let national: Vec<String> = law
        .instruments()
        .iter()
        .filter_map(|i| match &i.scope {
            Scope::National { state } => Some(state.to_string()),
            _ => None,
        })
        .collect();
    assert!(national.len() >= 3, "{national:?}");
}

#[test]
fn the_worked_example_in_the_norms_readme_compiles() {
    let readme = include_str!("../../../norms/README.md");
    let law = Instruments::load(&[("norms/README.md".to_string(), readme.to_string())]).unwrap();
    assert!(law.rules().count() == 2);
}

/// A lawyer's story of exceptions in file order: the first that applies decides, and a
/// later one that surely applies cannot settle a case an earlier one may decide otherwise.
#[test]
fn an_exception_that_may_apply_keeps_a_later_sure_one_from_deciding_alone() {
    let body = "
```rule
id: t.r
kind: prohibition
force: law
cites: base
breached when: intrusion
```

```rule
id: t.leak
kind: exception
exception to: t.r
cites: first exception
applies when: data_leaked
```

```rule
id: t.always
kind: exception
exception to: t.r
cites: second exception
applies when: intrusion
breached when: intrusion
```
";
    let law = Instruments::load(&[("norms/t.md".to_string(), format!("{HEADER}{body}"))]).unwrap();
    let case = |leaked: Option<bool>| {
        let mut facts = FactSet::unknown().with(Fact::Intrusion, true);
        if let Some(l) = leaked {
            facts.set(Fact::DataLeaked, Tri::from_bool(l));
        }
        law.assess(&Case { facts, perspective: None, date: None, responsible: vec![] }, AssessOptions { trace: true })
    };
    let finding = |a: &Assessment| a.findings.iter().find(|f| f.rule.as_str() == "t.r").unwrap().clone();
    // Leaked: the first exception decides (not breached). Not leaked: the second (breached).
    assert_eq!(finding(&case(Some(true))).status, Status::NotBreached);
    assert_eq!(finding(&case(Some(false))).status, Status::Breached);
    // Unknown: the two worlds disagree, so the engine cannot tell, and says what it needs.
    let open = finding(&case(None));
    assert_eq!(open.status, Status::CannotTell, "{open:?}");
    assert_eq!(open.missing.to_vec(), vec![Fact::DataLeaked]);
}

#[test]
fn a_rule_block_fenced_so_that_it_would_not_be_read_is_refused_where_it_opens() {
    for (fence, close) in [("~~~rule", "~~~"), ("````rule", "````"), ("```Rule", "```"), ("```rule {#sov}", "```")] {
        let body = format!("\n{fence}\nid: t.quiet\nkind: prohibition\nforce: law\ncites: x\nbreached when: intrusion\n{close}\n");
        let e = refused(&body);
        // The fence is line 10 (after the 8-line header and a blank line), column 1.
        assert!(e.contains("norms/t.md:10:1: this looks like a rule block but is not read as one"), "{fence}: {e}");
    }
}

#[test]
fn an_unclosed_rule_block_is_reported_where_it_opens() {
    let body = "
```rule
id: t.open
kind: prohibition
force: law
cites: x
breached when: intrusion

```rule
id: t.next
kind: prohibition
force: law
cites: y
breached when: intrusion
```
";
    let e = refused(body);
    assert!(e.contains("norms/t.md:10:1: this rule block is never closed: the next block opens at line 17"), "{e}");
}

#[test]
fn a_condition_nested_beyond_reason_is_refused_not_a_crash() {
    let deep = format!("{}intrusion{}", "(".repeat(30_000), ")".repeat(30_000));
    let e = refused(&format!("\n```rule\nid: t.deep\nkind: prohibition\nforce: law\ncites: x\nbreached when: {deep}\n```\n"));
    assert!(e.contains("nests more than 64 deep"), "{}", &e[..e.len().min(300)]);
    let nots = format!("{}intrusion", "not ".repeat(30_000));
    let e = refused(&format!("\n```rule\nid: t.deep\nkind: prohibition\nforce: law\ncites: x\nbreached when: {nots}\n```\n"));
    assert!(e.contains("nests more than 64 deep"), "{}", &e[..e.len().min(300)]);
}

#[test]
fn columns_count_characters_as_an_editor_shows_them() {
    // A no-break space after the colon is one character (two bytes): the unknown fact
    // starts at column 16 of `breached when:\u{a0}moon_is_full`, as an editor counts (17 in bytes).
    let e = refused("\n```rule\nid: t.nbsp\nkind: prohibition\nforce: law\ncites: x\nbreached when:\u{a0}moon_is_full\n```\n");
    assert!(e.contains("norms/t.md:15:16:"), "{e}");
}

/// A lawyer indents a key to line it up: read as a continuation, `force: law` would vanish
/// into the line above and the rule would be refused for a reason nobody could see.
#[test]
fn an_indented_key_is_refused_where_it_stands_not_folded_into_the_line_above() {
    let e = refused("\n```rule\nid: t.r\nkind: prohibition\n  force: law\ncites: x\nbreached when: intrusion\n```\n");
    assert!(e.contains("norms/t.md:13:3: `force:` is indented"), "{e}");
    // A condition continued on an indented line is still one condition.
    let src = vec![("norms/t.md".to_string(), format!("{HEADER}\n```rule\nid: t.r\nkind: prohibition\nforce: law\ncites: x\nbreached when: intrusion\n  and not consent\n```\n"))];
    assert!(Instruments::load(&src).is_ok());
}

#[test]
fn an_instrument_file_that_declares_nothing_is_refused() {
    let mut src = builtin_sources();
    src.push(("norms/draft.md".into(), "# A draft\n\nNothing fenced yet.\n".into()));
    let e = Instruments::load(&src).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert!(e.to_string().contains("norms/draft.md:1:1: this file declares no instrument"), "{e}");
}

#[test]
fn a_from_date_must_be_written_in_full() {
    for bad in ["2019-2-3", "19-02-03", "2019-02-30", "3 February 2019"] {
        let src = vec![("norms/t.md".to_string(), format!("```instrument\nid: test\ntitle: Test\ncites: Test\nscope: universal\nfrom: {bad}\n```\n"))];
        let e = Instruments::load(&src).unwrap_err().to_string();
        assert!(e.contains("norms/t.md:6:7: `from` is a date written YYYY-MM-DD"), "{bad}: {e}");
    }
    let src = vec![("norms/t.md".to_string(), "```instrument\nid: test\ntitle: Test\ncites: Test\nscope: universal\nfrom: 2019-02-03\n```\n".to_string())];
    assert!(Instruments::load(&src).is_ok());
}

#[test]
fn a_voluntary_instrument_cannot_make_one_of_its_norms_law() {
    // The GGE norms bind no one (A/70/174 para. 10): a rule of theirs marked `force: law`
    // would report breaches of what states only committed to.
    let src = |force: &str| {
        vec![(
            "norms/v.md".to_string(),
            format!("```instrument\nid: v\ntitle: V\ncites: V\nscope: universal\nforce: voluntary\n```\n\n```rule\nid: v.a\nkind: prohibition\nforce: {force}\ncites: a\nbreached when: intrusion\n```\n"),
        )]
    };
    let e = Instruments::load(&src("law")).unwrap_err().to_string();
    assert!(e.contains("norms/v.md:12:8") && e.contains("its instrument v is voluntary"), "{e}");
    Instruments::load(&src("voluntary")).unwrap();
    let e = Instruments::load(&[("norms/v.md".to_string(), src("voluntary")[0].1.replace("force: voluntary\n```\n\n", "force: maybe\n```\n\n"))]).unwrap_err().to_string();
    assert!(e.contains("norms/v.md:6:8") && e.contains("not one of law, voluntary"), "{e}");
}

#[test]
fn a_tag_on_a_kind_of_rule_it_does_not_belong_to_is_refused_at_the_tag() {
    // A threshold on a permission, a response condition on a permission: the engine would
    // read them, and move every incident's threshold or response.
    let e = refused("\n```rule\nid: t.r\nkind: permission\nforce: law\ncites: r\nresponse: retorsion\nthreshold: armed_attack\npermitted when: true\n```\n");
    assert!(e.contains("norms/t.md:16:12") && e.contains("`threshold` belongs on a definition"), "{e}");
    let e = refused("\n```rule\nid: t.n\nkind: permission\nforce: law\ncites: n\nresponse: necessity\ngoverns: countermeasures\npermitted when: true\n```\n");
    assert!(e.contains("`governs` belongs on an obligation or prohibition"), "{e}");
}

#[test]
fn a_rule_id_used_twice_is_refused_at_the_second_and_points_at_the_first() {
    let rule = "```rule\nid: t.twice\nkind: prohibition\nforce: law\ncites: twice\nbreached when: intrusion\n```\n";
    // The header is 8 lines; a blank line, then the first block opens on line 10 and its
    // id is on line 11; the second block's id is on line 19.
    let e = refused(&format!("\n{rule}\n{rule}"));
    assert!(e.contains("norms/t.md:19:") && e.contains("rule id `t.twice` is already used at norms/t.md:11"), "{e}");
}
