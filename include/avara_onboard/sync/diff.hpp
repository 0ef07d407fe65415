#pragma once
// The heart of `sync`, as pure logic: roster rows, the server's users and the previous sync's
// report in, one action per row and per missing user out (the contract's "sync" table). No I/O: the
// engine lists the users (directory_user.hpp), streams the roster through validate, and carries the
// actions out through the run engine.
//
//     sync::Diff diff(directory, scope, previously_revoked);      // scope: make_scope(), below
//     while (rows.next(row)) {
//         if (row.status == valid)  decision = diff.valid_row(row.invite);   // invite/update/...
//         else                      diff.other_row(row.email);   // invalid or duplicate: present,
//     }                                                           // so never revoked
//     for (const auto& m : diff.missing()) ...                    // revoke / still_revoked
//     guards (guards.hpp) with diff.counts() and diff.in_scope_users(), before anything is sent.
//
// Memory: one bit per listed user on top of the directory; the roster is not held.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/sync/directory_user.hpp"
#include "avara_onboard/util/error.hpp"
#include "avara_onboard/validate/validator.hpp"

namespace avara::sync {

// Which server users sync may change (update, revoke, reactivate). Owners never; users created in
// the dashboard only with [sync] scope = "all"; never an email that [sync] keep names. New users
// are invited whatever keep says: keep protects users who are on the server.
struct Scope {
    enum class Sources : std::uint8_t { api_only, all };
    Sources sources = Sources::api_only;
    std::vector<std::string> keep_emails;   // lowercased
    std::vector<std::string> keep_domains;  // lowercased, the part after "*@"

    // Why `user` is out of scope ("an owner", ...), or nothing when sync may change it.
    std::optional<std::string> excluded(const DirectoryUser& user) const;
};
// `scope`: "api" (the default, also for "") or "all". `keep`: exact emails and "*@domain" patterns.
// Errors (ErrorKind::config) name the bad value.
Result<Scope> make_scope(std::string_view scope, const std::vector<std::string>& keep);

enum class Action : std::uint8_t {
    invite,         // in the roster, not on the server: POST, as `run` does       -> invited / exists
    update,         // on the server, some compared field differs: PATCH `changes` -> updated
    unchanged,      // on the server, the same: nothing                            -> unchanged
    reactivate,     // revoked by an earlier sync, back in the roster: reactivate,
                    // then PATCH `changes` when there are any                     -> reactivated
    untouched,      // on the server but out of scope (`reason`): nothing sent     -> unchanged
    revoke,         // on the server, in scope, not in the roster: revoke-access
                    // (only with --revoke-missing)                                -> revoked
    still_revoked,  // revoked by an earlier sync and still missing: nothing sent;
                    // the new report carries it on as revoked                    -> revoked
};
std::string_view action_name(Action a) noexcept;  // "invite", "update", ... (the plan file's words)
std::optional<Action> action_from_name(std::string_view name) noexcept;

struct FieldChange {
    schema::Field field = schema::Field::first_name;
    std::string from;  // as the server has it, normalised; "" = absent
    std::string to;    // as the roster has it; "" = clear (sent as null)
};

// What one valid roster row comes to.
struct RowDecision {
    Action action = Action::invite;  // invite, update, unchanged, reactivate or untouched
    std::string user_id;             // of the server's user; empty for invite
    std::uint64_t fingerprint = 0;   // DirectoryUser::fingerprint(); 0 for invite
    std::vector<FieldChange> changes;
    std::string reason;  // untouched: why
};

// A user in scope that no roster row names.
struct MissingUser {
    Action action = Action::revoke;  // revoke or still_revoked
    std::string email;               // lowercased
    std::string user_id;
    std::uint64_t fingerprint = 0;
};

struct DiffCounts {
    std::size_t invite = 0, update = 0, unchanged = 0, reactivate = 0, untouched = 0, revoke = 0,
                still_revoked = 0;
};

// The compared fields that differ, after the same normalisation as validate (clinic roles by
// display name in any case, booleans, phone digits; names exactly). In compared_fields order.
std::vector<FieldChange> compare(const validate::Invite& roster, const DirectoryUser& server);

class Diff {
  public:
    // `directory` must be finished and outlive the Diff. `previously_revoked`: the emails (any case)
    // that the last sync's report lists as revoked.
    Diff(const Directory& directory, Scope scope, const std::vector<std::string>& previously_revoked);

    // Rows in any order, each email once (validate has already turned repeats into duplicates).
    RowDecision valid_row(const validate::Invite& invite);
    // An invalid or duplicate row: its email counts as present, so its user is never revoked.
    void other_row(std::string_view email);

    // After the last row: in-scope users no row named, in email order.
    std::vector<MissingUser> missing() const;
    std::size_t in_scope_users() const noexcept { return in_scope_; }
    // The rows' decisions so far, plus missing() once the rows are done.
    DiffCounts counts() const;

  private:
    bool was_revoked(std::string_view email) const;
    std::size_t index_of(const DirectoryUser& user) const;

    const Directory& directory_;
    Scope scope_;
    std::vector<std::string> revoked_;  // lowercased, sorted
    std::vector<bool> present_;         // by directory index
    std::size_t in_scope_ = 0;
    DiffCounts counts_;
};

// The PATCH body of `changes`: only those fields; "" becomes null for the optional texts.
std::string patch_body(const std::vector<FieldChange>& changes);

// One line of `--plan`, terraform-style:
//   + invite ada@example.org
//   ~ update bob@example.org: clinicRole: Physician -> Surgeon; lastName: Ng -> Ngo
//   ^ reactivate carl@example.org (then clinicRole: Nurse -> Surgeon)
//   - revoke dan@example.org
// untouched, unchanged and still_revoked rows have no line (empty string).
std::string plan_line(Action action, std::string_view email, const std::vector<FieldChange>& changes);

}  // namespace avara::sync
