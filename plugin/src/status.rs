//! `kubectl foo status NAME`: one Foo's state at a glance, as `kubectl cnpg status` shows a
//! cluster's: its spec, whether the controller has caught up with it, its conditions with
//! their ages, and what bar has done.

use foo_sdk::Foo;
use foo_sdk::age;
use k8s_openapi::jiff::Timestamp;

use crate::printer::layout;

/// The report on `foo` as seen at `now`.
pub fn report(foo: &Foo, now: Timestamp) -> String {
    let status = foo.status.clone().unwrap_or_default();
    let when = |t: Timestamp| format!("{} ago ({t})", age::since(t, now));
    let mut out = format!("Foo {}\n", foo.name());
    let mut fields = vec![
        ("Greeting", foo.spec.greeting.clone()),
        ("Suspended", yes_no(foo.spec.suspend).into()),
    ];
    if let Some(created) = &foo.metadata.creation_timestamp {
        fields.push(("Created", when(created.0)));
    }
    let labels = foo.metadata.labels.iter().flatten();
    let labels: Vec<String> = labels.map(|(k, v)| format!("{k}={v}")).collect();
    if !labels.is_empty() {
        fields.push(("Labels", labels.join(",")));
    }
    if foo.metadata.deletion_timestamp.is_some() {
        let finalizers = foo.metadata.finalizers.iter().flatten().cloned();
        let finalizers: Vec<String> = finalizers.collect();
        fields.push(("Deleting", format!("held by {}", finalizers.join(", "))));
    }
    section(&mut out, &fields);

    out.push_str("\nController\n");
    let generation = foo.metadata.generation.unwrap_or_default();
    let caught_up = match status.observed_generation {
        Some(observed) if observed == generation => {
            format!("up to date (generation {generation} reconciled)")
        }
        Some(observed) => {
            format!("catching up (generation {generation}, reconciled {observed})")
        }
        None => format!("not yet reconciled (generation {generation})"),
    };
    section(&mut out, &[("State", caught_up)]);

    out.push_str("\nConditions\n");
    if status.conditions.is_empty() {
        out.push_str("  <none>\n");
    } else {
        let header = ["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"].map(String::from);
        let rows = status.conditions.iter().map(|c| {
            vec![
                c.type_.clone(),
                c.status.clone(),
                c.reason.clone(),
                age::since(c.last_transition_time.0, now),
                c.message.clone(),
            ]
        });
        indent(&mut out, &layout(Some(header.to_vec()), rows.collect()));
    }

    out.push_str("\nBar\n");
    let mut bar = vec![("Calls", foo.bar_count().to_string())];
    match &status.last_bar_time {
        Some(last) => bar.push(("Last called", when(last.0))),
        None => bar.push(("Last called", "never".into())),
    }
    if let Some(message) = &status.last_message {
        bar.push(("Last answer", message.clone()));
    }
    if foo.spec.suspend {
        bar.push(("Now", "refused: the Foo is suspended".into()));
    }
    section(&mut out, &bar);
    out
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// `label: value` lines, the values aligned, indented under a heading.
fn section(out: &mut String, fields: &[(&str, String)]) {
    // The longest label, its colon, then two spaces.
    let width = fields.iter().map(|(label, _)| label.len()).max();
    let width = width.unwrap_or(0) + 3;
    for (label, value) in fields {
        out.push_str(&format!("  {:<width$}{value}\n", format!("{label}:")));
    }
}

fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foo_sdk::FooSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use k8s_openapi::jiff::SignedDuration;

    #[test]
    fn reports_spec_controller_conditions_and_bar() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let ago = |s: i64| Time(now - SignedDuration::from_secs(s));
        let mut foo = Foo::new("hello", FooSpec::new("Hi"));
        foo.metadata.creation_timestamp = Some(ago(300));
        foo.metadata.generation = Some(2);
        let status = foo.status.get_or_insert_default();
        status.observed_generation = Some(1);
        status.bar_count = Some(3);
        status.last_bar_time = Some(ago(120));
        status.last_message = Some("Hi, you".into());
        status.conditions.push(Condition {
            type_: "Ready".into(),
            status: "True".into(),
            reason: "Reconciled".into(),
            message: "answers bar".into(),
            last_transition_time: ago(290),
            observed_generation: Some(1),
        });
        let text = report(&foo, now);
        let expected = [
            "Foo hello",
            "  Greeting:   Hi",
            "  Suspended:  no",
            "  Created:    5m ago (2027-01-15T07:55:00Z)",
            "",
            "Controller",
            "  State:  catching up (generation 2, reconciled 1)",
            "",
            "Conditions",
            "  TYPE    STATUS   REASON       AGE     MESSAGE",
            "  Ready   True     Reconciled   4m50s   answers bar",
            "",
            "Bar",
            "  Calls:        3",
            "  Last called:  2m ago (2027-01-15T07:58:00Z)",
            "  Last answer:  Hi, you",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
    }
}
