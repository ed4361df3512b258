//! `qianyue worklist --team T`: a team's work list as a report for people,
//! referral suggestions first, then the follow-ups its referrals owe, then
//! deliveries, most overdue first.

use qianyue::kernel::WorkList;

use crate::KernelArgs;

#[derive(clap::Args)]
pub struct WorkListArgs {
    /// The team's id.
    #[arg(long)]
    team: String,
    /// The day to judge by (ISO 8601); today by default.
    #[arg(long, value_parser = crate::iso_date)]
    as_of: Option<time::Date>,
    /// Also list deliveries due within this many days.
    #[arg(long, default_value_t = 14)]
    horizon_days: u16,
    /// Print JSON instead of the report.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    kernel: KernelArgs,
}

pub fn run(args: WorkListArgs) -> anyhow::Result<()> {
    let WorkListArgs { team, as_of, horizon_days, json, kernel } = args;
    super::with_kernel(kernel, async move |k| {
        let list = k.work_list(&crate::operator(), &team, as_of, horizon_days).await?;
        if json {
            return super::print_json(&list);
        }
        print!("{}", report(&list, horizon_days));
        Ok(())
    })
}

fn report(list: &WorkList, horizon_days: u16) -> String {
    let mut out = format!("Work list of {} as of {} (due within {horizon_days} days)\n", list.team_id, list.as_of);
    out.push_str(&format!("Referral suggestions: {}\n", list.referral_suggestions.len()));
    for s in &list.referral_suggestions {
        out.push_str(&format!("  {}  {}  {:?}  (record {})\n", s.suggested_on, s.resident_id, s.reason, s.record_id));
    }
    out.push_str(&format!("Referral follow-ups: {}\n", list.follow_ups.len()));
    for f in &list.follow_ups {
        let direction = qianyue::serde_name(&f.direction);
        out.push_str(&format!(
            "  {}  {:<16}  {}  referral {direction} {}\n",
            f.due_on,
            when(f.days_overdue),
            f.resident_id,
            f.referral_id
        ));
    }
    out.push_str(&format!("Due: {}\n", list.due.len()));
    for w in &list.due {
        out.push_str(&format!(
            "  {}  {:<16}  {}  {} {} {}\n",
            w.due_on,
            when(w.days_overdue),
            w.resident_id,
            w.package_code,
            w.item_code,
            w.item_name
        ));
    }
    out
}

fn when(days_overdue: i64) -> String {
    match days_overdue {
        d if d > 0 => format!("{d} days overdue"),
        0 => "due today".to_owned(),
        d => format!("due in {} days", -d),
    }
}
