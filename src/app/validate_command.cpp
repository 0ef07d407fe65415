#include "avara_onboard/app/validate_command.hpp"

#include <CLI/CLI.hpp>
#include <chrono>

#include "avara_onboard/app/job_files.hpp"
#include "avara_onboard/app/job_outputs.hpp"
#include "avara_onboard/report/report_lock.hpp"
#include "avara_onboard/report/summary.hpp"
#include "avara_onboard/util/atomic_file.hpp"
#include "avara_onboard/util/log.hpp"
#include "avara_onboard/validate/validated_rows.hpp"

namespace avara::app {

CLI::App* add_validate_command(CLI::App& root, ValidateOptions& o) {
    auto* cmd = root.add_subcommand("validate", "Check a roster against the invite schema; sends nothing");
    add_roster_and_report_options(*cmd, o.roster, o.report, o.report_format, o.summary);
    add_roster_read_options(*cmd, o.read);
    add_job_output_options(*cmd, o.outputs, MetricsFlag::absent);
    cmd->add_option("--config", o.config,
                    "TOML config: [columns], [values.FIELD], [defaults], [schema] clinic-roles");
    cmd->add_option("--payloads", o.payloads,
                    "Write the exact JSON body each valid row would send, one per line");
    cmd->add_flag("-v,--verbose", o.verbose, "More detail on stderr");
    cmd->add_flag("-q,--quiet", o.quiet, "Only errors on stderr");
    cmd->footer(
        "Exit codes: 0 every row valid, 1 some rows invalid or duplicate, 2 usage/config/input error.\n"
        "Example:\n  avara-onboard validate staff.csv --config hr-export.toml --payloads "
        "staff.payloads.jsonl");
    return cmd;
}

namespace {

// Every row into the report (and, when asked, its invite into the payloads), counted once.
void write_rows(validate::ValidatedRows& rows, report::ReportWriter& writer,
                std::optional<AtomicFile>& payloads, report::Summary& summary) {
    const bool debug = log::level() >= log::Level::verbose;  // skip building messages nobody sees
    while (const auto* next = rows.next()) {
        const auto& row = *next;
        // Straight from the row's buffers into the report's: no copy into a RowResult.
        report::RowFields fields;
        fields.row = row.row;
        fields.line = row.line;
        fields.email = row.email;
        fields.status = row.status;
        fields.error = row.error;
        writer.write(fields);
        summary.add(row.status);
        if (row.status == report::Status::valid && payloads) {
            row.invite.append_json(payloads->buffer());
            payloads->buffer().push_back('\n');
            payloads->maybe_flush();
        } else if (row.status != report::Status::valid && debug) {
            log::debug("row " + std::to_string(row.row) + " (line " + std::to_string(row.line) +
                           "): " + std::string(report::to_string(row.status)) + ": " + row.error,
                       {.row = row.row, .email = row.email, .status = report::to_string(row.status)});
        }
    }
}

int validate_or_throw(const ValidateOptions& o) {
    const auto started = std::chrono::steady_clock::now();
    auto config = load_optional_config(o.config);
    if (!config)
        throw AppError(config.error());
    const auto& s = config->settings;

    const auto format_text = pick<std::string>(o.report_format, s.report_format, "csv");
    const auto format = report::parse_format(format_text);
    if (!format)
        throw AppError(ErrorKind::usage, "--report-format must be csv or jsonl, not '" + format_text + "'");
    const auto report_path = pick<std::string>(o.report, s.report, default_report_path(o.roster));
    const auto summary_path = pick<std::string>(o.summary, s.summary, "");
    const auto payloads_path = pick<std::string>(o.payloads, s.payloads, "");
    const auto outputs = resolve_job_outputs(o.outputs, s);
    if (!outputs)
        throw AppError(outputs.error());
    if (auto r = check_outputs_distinct(o.roster,
                                        {report_path, summary_path, payloads_path, outputs->html_report});
        !r) {
        throw AppError(r.error());
    }
    // The same lock as `run`: a validate and a run must not write one report at once.
    auto report_lock = report::lock_report(report_path);
    if (!report_lock)
        throw AppError(report_lock.error());

    auto rows = open_roster_rows(o.roster, o.read, *config);
    if (!rows)
        throw AppError(rows.error());
    warn_unknown_columns((*rows)->unknown_columns());

    auto writer = report::ReportWriter::create(report_path, *format, report::ReportWriter::Flush::batched);
    if (!writer)
        throw AppError(writer.error());
    // Whole-file outputs, replaced atomically when done, opened now so a bad path stops us early.
    auto payloads_file = AtomicFile::open_optional(payloads_path);
    if (!payloads_file)
        throw AppError(payloads_file.error());
    auto& payloads = *payloads_file;
    auto summary_file = AtomicFile::open_optional(summary_path);
    if (!summary_file)
        throw AppError(summary_file.error());

    (*rows)->set_invites_needed(payloads.has_value());  // only the payloads show the names
    report::Summary summary;
    summary.command = "validate";
    summary.roster = o.roster;
    summary.report = report_path;
    write_rows(**rows, **writer, payloads, summary);
    (*writer)->close();
    if (payloads)
        payloads->commit();

    const bool all_valid = summary.count(report::Status::valid) == summary.rows();
    summary.exit_code = all_valid ? exit_code::ok : exit_code::rows_failed;
    summary.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!write_job_outputs(*outputs, summary, *format,
                           {o.config.value_or(""), 0, std::nullopt, std::nullopt}))
        summary.exit_code = exit_code::aborted;  // an output was lost
    if (*summary_file) {
        (*summary_file)->write(summary.to_json());
        (*summary_file)->commit();
    }
    if (summary.rows() == 0)
        log::warning("the roster has a header but no data rows");
    log::info("validated " + summary.counts_line() + "; report: " + report_path);
    return summary.exit_code;
}

}  // namespace

int run_validate_command(const ValidateOptions& o) {
    log::set_level(o.quiet ? log::Level::quiet : (o.verbose ? log::Level::verbose : log::Level::normal));
    return run_guarded([&] { return validate_or_throw(o); });
}

}  // namespace avara::app
