#include "avara_onboard/app/sync_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <unordered_set>

#include "avara_onboard/app/job_files.hpp"
#include "avara_onboard/app/run_job.hpp"
#include "avara_onboard/report/resume_store.hpp"
#include "avara_onboard/send/directory_listing.hpp"
#include "avara_onboard/sync/diff.hpp"
#include "avara_onboard/sync/guards.hpp"
#include "avara_onboard/sync/plan_file.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/util/text.hpp"
#include "avara_onboard/util/time_format.hpp"

namespace avara::app {

using report::Status;
using send::Work;

CLI::App* add_sync_command(CLI::App& root, SyncOptions& o) {
    auto* cmd =
        root.add_subcommand("sync", "Keep the Viewer in step with the roster: invite, update, revoke");
    add_run_options(*cmd, o.run);
    cmd->get_option("roster")->required(false);
    cmd->add_flag("--plan", o.plan, "Show what would change, terraform-style, and change nothing");
    cmd->add_option("--plan-out", o.plan_out, "Save the plan (mode 0600) for --apply; implies --plan");
    cmd->add_option("--apply", o.apply,
                    "Carry out exactly this saved plan; refused when a user it touches changed since");
    cmd->add_flag("--revoke-missing", o.revoke_missing,
                  "Revoke the access of in-scope users no roster row names (else they are only counted)");
    cmd->add_option("--max-revoke", o.max_revoke,
                    "Most users one sync may revoke: N or P% of the users in scope [default: max(10, 2%)]");
    cmd->add_option(
        "--min-valid-rows", o.min_valid_rows,
        "Accept a roster with as few valid rows as this although the last sync had twice as many");
    cmd->footer(
        "The roster is the source of truth. Users the API created (invitedSource api), member or admin,\n"
        "are in scope; owners never; dashboard users only with [sync] scope = \"all\"; [sync] keep protects\n"
        "emails and *@domain patterns. Statuses: invited, exists, updated, unchanged, reactivated, revoked,\n"
        "invalid, duplicate, rejected, failed. Revocations go last and stop at the first one that fails.\n"
        "Examples:\n"
        "  avara-onboard sync staff.csv --plan --plan-out plan.json      review, change nothing\n"
        "  avara-onboard sync --apply plan.json --report staff.report.csv\n"
        "  avara-onboard sync staff.csv --revoke-missing                 nightly, guarded");
    return cmd;
}

namespace {

// What the last sync left on this report: whom it revoked (the API cannot tell) and how many valid rows
// it had (for the truncated-roster guard). Kept in REPORT.sync-base while a sync is under way, so a
// killed sync's --resume still knows.
struct LastSync {
    std::vector<std::string> revoked;
    std::optional<std::size_t> valid_rows;
};

std::string base_path(const Job& job) {
    return job.report_path + ".sync-base";
}

LastSync read_last_sync(const Job& job) {
    LastSync last;
    std::size_t valid = 0;
    bool any = false;
    auto read = report::read_report_lines(job.report_path, [&](const report::RowResult& r) {
        any = true;
        if (r.status == Status::revoked)
            last.revoked.push_back(text::to_lower(r.email));
        if (r.from_roster && r.status != Status::invalid && r.status != Status::duplicate)
            ++valid;
    });
    if (!read)
        throw AppError(read.error());
    if (any)
        last.valid_rows = valid;
    // An earlier sync that never finished left its own starting point: it still counts.
    auto base = report::read_report_lines(base_path(job), [&](const report::RowResult& r) {
        if (r.status == Status::revoked)
            last.revoked.push_back(text::to_lower(r.email));
        else if (r.from_roster)
            last.valid_rows = r.row;  // the base's one roster line carries the count
    });
    if (!base)
        throw AppError(base.error());
    std::sort(last.revoked.begin(), last.revoked.end());
    last.revoked.erase(std::unique(last.revoked.begin(), last.revoked.end()), last.revoked.end());
    return last;
}

void save_last_sync(const Job& job, const LastSync& last) {
    auto file = AtomicFile::open(base_path(job));
    if (!file)
        throw AppError(file.error());
    std::string text(report::csv_header);
    text += "\n";
    if (last.valid_rows) {
        report::RowResult count;
        count.row = *last.valid_rows;
        count.status = Status::unchanged;
        count.error = "valid rows of the last sync";
        report::append_csv_line(text, count);
    }
    for (const auto& email : last.revoked) {
        report::RowResult r;
        r.from_roster = false;
        r.email = email;
        r.status = Status::revoked;
        report::append_csv_line(text, r);
    }
    file->write(text);
    file->commit();
}

Work change_of(const sync::PlannedChange& c, std::uint64_t row) {
    Work w;
    w.kind = Work::Kind::change;
    w.result.row = row;
    w.result.line = c.line;
    w.result.email = c.email;
    w.user_id = c.user_id;
    switch (c.action) {
        case sync::Action::invite:
            w.operation = flow::Operation::invite;
            w.body = c.invite_body;
            break;
        case sync::Action::update:
            w.operation = flow::Operation::update;
            w.body = sync::patch_body(c.changes);
            break;
        case sync::Action::reactivate:
            w.operation = flow::Operation::reactivate;
            w.follow_up = c.changes.empty() ? flow::FollowUp::none : flow::FollowUp::update;
            w.body = sync::patch_body(c.changes);
            break;
        default:
            w.operation = flow::Operation::revoke;
            w.result.from_roster = false;
            break;
    }
    return w;
}

Work settled(std::uint64_t row, std::uint64_t line, std::string email, Status status, std::string user_id,
             std::string note) {
    Work w;
    w.result.row = row;
    w.result.line = line;
    w.result.email = std::move(email);
    w.result.status = status;
    w.result.user_id = std::move(user_id);
    w.result.error = std::move(note);
    return w;
}

// What the roster and the listing come to: the plan, the report's work in order, and the counts.
struct Comparison {
    sync::Plan plan;
    std::deque<Work> work;  // roster rows in order, then revocations (a barrier before each)
    sync::DiffCounts counts;
    std::size_t in_scope = 0;
    std::size_t valid_rows = 0;
    std::size_t missing_not_revoked = 0;  // in scope, not in the roster, no --revoke-missing
};

Work row_work(const validate::ValidatedRow& v, const sync::RowDecision& d, const report::ResumeStore* resume,
              sync::Plan& plan) {
    if (resume != nullptr) {
        if (auto done = resume->find(v.email)) {  // a killed sync got this one done already
            Work w = settled(v.row, v.line, v.email, done->status, done->user_id, "");
            w.result.http_status = done->http_status;
            w.result.attempts = done->attempts;
            return w;
        }
    }
    if (auto change = sync::planned_change(d, v.invite, v.row, v.line)) {
        plan.changes.push_back(*change);
        return change_of(*change, v.row);
    }
    return settled(v.row, v.line, v.email, Status::unchanged, d.user_id,
                   d.action == sync::Action::untouched ? "out of scope: " + d.reason : "");
}

Comparison compare(validate::ValidatedRows& rows, const sync::Directory& directory, const sync::Scope& scope,
                   const LastSync& last, const report::ResumeStore* resume, bool revoke_missing) {
    Comparison out;
    sync::Diff diff(directory, scope, last.revoked);
    validate::ValidatedRow v;
    std::uint64_t last_row = 0;
    while (rows.next(v)) {
        last_row = v.row;
        if (v.status != Status::valid) {
            diff.other_row(v.email);
            out.work.push_back(settled(v.row, v.line, v.email, v.status, "", v.error));
            continue;
        }
        ++out.valid_rows;
        out.work.push_back(row_work(v, diff.valid_row(v.invite), resume, out.plan));
    }
    for (const auto& m : diff.missing()) {
        if (m.action == sync::Action::still_revoked) {
            Work w =
                settled(++last_row, 0, m.email, Status::revoked, m.user_id, "revoked by an earlier sync");
            w.result.from_roster = false;
            out.work.push_back(std::move(w));
            continue;
        }
        if (!revoke_missing) {
            ++out.missing_not_revoked;
            continue;
        }
        if (auto change = sync::planned_change(m)) {
            out.plan.changes.push_back(*change);
            Work barrier;
            barrier.kind = Work::Kind::barrier;
            out.work.push_back(std::move(barrier));  // revocations go last, one at a time
            out.work.push_back(change_of(*change, ++last_row));
        }
    }
    out.counts = diff.counts();
    out.in_scope = diff.in_scope_users();
    return out;
}

void print_plan(const sync::Plan& plan, const Comparison* c) {
    std::string text;
    for (const auto& change : plan.changes) {
        const auto line = sync::plan_line(change.action, change.email, change.changes);
        if (!line.empty())
            text += line + "\n";
    }
    const auto counts = plan.counts();
    text += "Plan: " + std::to_string(counts.invite) + " to invite, " + std::to_string(counts.update) +
            " to update, " + std::to_string(counts.reactivate) + " to reactivate, " +
            std::to_string(counts.revoke) + " to revoke";
    if (c != nullptr) {
        text += "; " + std::to_string(c->counts.unchanged + c->counts.untouched) + " unchanged";
        if (c->missing_not_revoked > 0)
            text += "; " + std::to_string(c->missing_not_revoked) +
                    " in-scope user(s) not in the roster, kept (pass --revoke-missing to revoke them)";
    }
    text += ".\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

// --max-revoke over [sync] max-revoke; checked before anything is sent.
std::optional<sync::RevokeLimit> revoke_limit(const SyncOptions& o, const Job& job) {
    const auto limit_text = o.max_revoke ? o.max_revoke : job.config.sync.max_revoke;
    if (!limit_text)
        return std::nullopt;
    auto parsed = sync::parse_max_revoke(*limit_text);
    if (!parsed)
        throw AppError(parsed.error());
    return *parsed;
}

void check_guards(const SyncOptions& o, const std::optional<sync::RevokeLimit>& limit, const Comparison& c,
                  const LastSync& last) {
    const auto would_revoke = c.plan.counts().revoke;
    std::optional<std::size_t> min_rows;
    if (o.min_valid_rows)
        min_rows = static_cast<std::size_t>(std::max<std::int64_t>(0, *o.min_valid_rows));
    // A truncated roster first: it is the likelier cause of many revocations, and its override differs.
    if (auto r = sync::check_truncated_roster(c.valid_rows, last.valid_rows, would_revoke, min_rows); !r)
        throw AppError(r.error());
    if (auto r = sync::check_revoke_guard(would_revoke, c.in_scope, limit); !r)
        throw AppError(r.error());
}

send::ListingResult list_users(const Job& job) {
    log::info("listing the users of " + job.engine.base.to_string());
    auto listed = send::list_directory(job.engine);
    if (!listed) {
        // A request may have left: never exit 2 from here.
        const auto kind =
            listed.error().kind == ErrorKind::input ? ErrorKind::interrupted : listed.error().kind;
        throw AppError(kind, listed.error().message);
    }
    log::info("listed " + std::to_string(listed->directory.size()) + " users in " +
              std::to_string(listed->pages) + " page(s)");
    return std::move(*listed);
}

// The plan's changes as the report's work: gaps between their rows are skipped (no line).
std::deque<Work> work_of_plan(const sync::Plan& plan) {
    std::deque<Work> work;
    std::uint64_t next_row = 1;
    std::uint64_t last_row = 0;
    for (const auto& c : plan.changes)
        last_row = std::max(last_row, c.row);
    for (const auto& c : plan.changes) {
        if (c.action == sync::Action::revoke) {
            Work barrier;
            barrier.kind = Work::Kind::barrier;
            work.push_back(std::move(barrier));
            work.push_back(change_of(c, ++last_row));
            continue;
        }
        for (; next_row < c.row; ++next_row) {
            Work gap;
            gap.kind = Work::Kind::skip;
            gap.result.row = next_row;
            work.push_back(std::move(gap));
        }
        work.push_back(change_of(c, c.row));
        next_row = c.row + 1;
    }
    return work;
}

int apply(const SyncOptions& o, Job& job, std::deque<Work> work,
          std::unique_ptr<report::ResumeStore> previous) {
    auto ordered = report::OrderedReport::create(job.report_path, job.format);
    if (!ordered)
        throw AppError(ordered.error());
    report::Summary summary;
    summary.command = "sync";
    summary.roster = o.run.roster;
    summary.report = job.report_path;
    send::ListWork source(std::move(work));
    watch_metrics(job, summary);
    send::RunEngine engine(job.engine, source, **ordered, summary);
    auto outcome = engine.run();
    std::string again =
        "avara-onboard sync " + (o.apply ? "--apply " + shell_quote(*o.apply) : shell_quote(o.run.roster));
    again += " --resume";
    if (o.run.report)
        again += " --report " + shell_quote(*o.run.report);
    if (o.run.config)
        again += " --config " + shell_quote(*o.run.config);
    if (o.revoke_missing)
        again += " --revoke-missing";
    const int code = finish_job(job, **ordered, previous.get(), summary, outcome, again);
    if (!outcome.abort) {
        std::error_code ignored;
        std::filesystem::remove(base_path(job), ignored);  // the report itself is the base now
    }
    return code;
}

int sync_from_plan_file(const SyncOptions& o, const RunContext& context) {
    auto plan = sync::read_plan_file(*o.apply);
    if (!plan)
        throw AppError(plan.error());
    RunOptions run = o.run;
    if (run.roster.empty())
        run.roster = plan->roster;
    Job job = prepare_job(run, context);
    if (job.engine.base.to_string() != plan->base_url) {
        throw AppError(ErrorKind::input, "the plan " + *o.apply + " was made for " + plan->base_url +
                                             ", not " + job.engine.base.to_string() + "; nothing was sent");
    }
    const auto listed = list_users(job);
    if (auto current = sync::check_plan_is_current(*plan, job.engine.base.to_string(), listed.directory);
        !current)
        throw AppError(current.error());  // users changed since the plan: exit 2, nothing sent
    if (!job.quiet)
        print_plan(*plan, nullptr);
    auto previous = open_resume_store(run, job);
    SyncOptions with_roster = o;
    with_roster.run.roster = run.roster;
    return apply(with_roster, job, work_of_plan(*plan), std::move(previous));
}

int sync_or_throw(const SyncOptions& o, const RunContext& context) {
    if (o.apply)
        return sync_from_plan_file(o, context);
    if (o.run.roster.empty())
        throw AppError(ErrorKind::usage, "sync needs a ROSTER, or --apply PLAN.json");
    const bool planning = o.plan || o.plan_out.has_value();
    Job job = prepare_job(o.run, context, {o.plan_out.value_or("")});
    auto scope = sync::make_scope(job.config.sync.scope.value_or("api"), job.config.sync.keep);
    if (!scope)
        throw AppError(scope.error());
    const auto limit = revoke_limit(o, job);
    auto rows = open_roster_rows(o.run.roster, o.run.read, job.config);
    if (!rows)
        throw AppError(rows.error());
    warn_unknown_columns((*rows)->unknown_columns());
    const LastSync last = read_last_sync(job);
    const bool resume = o.run.resume || job.config.settings.resume.value_or(false);
    std::unique_ptr<report::ResumeStore> previous;
    if (resume && !planning)
        previous = open_resume_store(o.run, job);

    const auto listed = list_users(job);
    const bool revoke_missing = o.revoke_missing || job.config.sync.revoke_missing.value_or(false);
    Comparison c = compare(**rows, listed.directory, *scope, last, previous.get(), revoke_missing);
    c.plan.base_url = job.engine.base.to_string();
    c.plan.roster = o.run.roster;
    c.plan.created_at = text::format_wall_time(std::chrono::system_clock::now());
    check_guards(o, limit, c, last);
    if (planning || !job.quiet)
        print_plan(c.plan, &c);
    if (planning) {
        if (o.plan_out) {
            if (auto w = sync::write_plan_file(*o.plan_out, c.plan); !w)
                throw AppError(w.error());
            log::info("plan saved: " + *o.plan_out + " (apply it with: avara-onboard sync --apply " +
                      shell_quote(*o.plan_out) + ")");
        }
        return exit_code::ok;
    }
    if (!resume)
        open_resume_store(o.run, job);  // clears a fresh sync's leftovers
    save_last_sync(job, last);
    return apply(o, job, std::move(c.work), std::move(previous));
}

}  // namespace

int run_sync_command(const SyncOptions& o, const RunContext& context) {
    log::set_level(o.run.quiet ? log::Level::quiet
                               : (o.run.verbose ? log::Level::verbose : log::Level::normal));
    return run_guarded([&] { return sync_or_throw(o, context); });
}

}  // namespace avara::app
