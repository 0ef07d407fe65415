#pragma once
// What sync keeps of one user the server listed (GET /v1/viewer/users): the email (lowercased), the
// userId, the fields sync compares, normalised as `validate` normalises a roster row, plus level and
// invitedSource for the scope rules. About 100 bytes a user (the texts packed into one string, the
// id as 16 bytes), so a directory of 100,000 users takes about 10 MB, not the listing's JSON.
//
// Also the parser of one listing page, with Boost.JSON (the core layer's JSON library; simdjson
// stays in the net layer): the engine hands each page body to parse_users_page() and adds its
// users to a Directory, page after page, then calls Directory::finish().
//
//     sync::Directory directory;
//     for (cursor = none;;) {
//         body = GET /v1/viewer/users?limit=100[&cursor=...]   // under the run's rate and retries
//         auto page = sync::parse_users_page(body);            // Result: a page that is not the API's
//         if (!page) fail(page.error());                       //   shape ends the sync (nothing sent)
//         directory.add(std::move(page->users));
//         if (!page->has_more) break;
//         cursor = page->cursor;
//     }
//     directory.finish();   // sorted by email for lookups; refuses an email listed twice
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/schema/schema.hpp"
#include "avara_onboard/util/error.hpp"

namespace avara::sync {

enum class UserLevel : std::uint8_t { member, admin, owner };
enum class Source : std::uint8_t { api, dashboard };  // the user's invitedSource

std::string_view level_name(UserLevel l) noexcept;
std::string_view source_name(Source s) noexcept;

// The fields sync compares and PATCHes, in the order the plan lists them.
inline constexpr std::array<schema::Field, 10> compared_fields = {schema::Field::first_name,
                                                                  schema::Field::last_name,
                                                                  schema::Field::middle_name,
                                                                  schema::Field::suffix1,
                                                                  schema::Field::suffix2,
                                                                  schema::Field::clinic_role,
                                                                  schema::Field::level,
                                                                  schema::Field::can_manage_studies,
                                                                  schema::Field::has_dashboard_access,
                                                                  schema::Field::phone_number};

class DirectoryUser {
  public:
    // A user as listed; views, copied by make().
    struct Listed {
        std::string_view email, user_id, first_name, last_name, clinic_role;
        std::string_view middle_name, suffix1, suffix2, phone_number;  // "" when absent or null
        UserLevel level = UserLevel::member;
        Source source = Source::api;
        bool can_manage_studies = false;
        bool has_dashboard_access = false;
    };
    // Normalises: the email lowercased, the clinic role as its display name when it is a built-in
    // role in any spelling (else as listed), the phone number as digits when it reads as one.
    // Errors: an empty email or userId, a NUL character in a text.
    static Result<DirectoryUser> make(const Listed& listed);

    std::string_view email() const noexcept;  // lowercased
    std::string user_id() const;
    // The value of a compared field as sync compares it: text fields and clinicRole as normalised
    // ("" when absent), level "admin"/"member"/"owner", booleans "true"/"false".
    std::string value(schema::Field f) const;
    UserLevel level() const noexcept { return static_cast<UserLevel>(flags_ & 3); }
    Source source() const noexcept { return (flags_ & dashboard_bit) ? Source::dashboard : Source::api; }
    bool can_manage_studies() const noexcept { return flags_ & manage_bit; }
    bool has_dashboard_access() const noexcept { return flags_ & access_bit; }

    // A stable 64-bit digest of everything above (the same in every process and on every machine):
    // a saved plan records it for each user it touches, and --apply refuses a user whose digest
    // changed since.
    std::uint64_t fingerprint() const noexcept;

  private:
    static constexpr std::uint8_t dashboard_bit = 4, manage_bit = 8, access_bit = 16, raw_id_bit = 32;
    // email, firstName, lastName, middleName, suffix1, suffix2, clinicRole, phoneNumber[, userId],
    // each ended by a NUL.
    std::string_view segment(std::size_t index) const noexcept;

    std::string packed_;
    std::array<std::uint8_t, 16> id_{};  // the 32 hex digits of a usr_ id; else the id is in packed_
    std::uint8_t flags_ = 0;             // level (2 bits), then the bits above
};

struct UsersPage {
    std::vector<DirectoryUser> users;
    std::optional<std::string> cursor;  // pass back as given (opaque)
    bool has_more = false;
};

// One page of GET /v1/viewer/users: {"users": [...], "cursor": "..." | null, "hasMore": bool}.
// Unknown fields are ignored. Errors (ErrorKind::input) for a body that is not that shape, or a user
// without email, userId, level (owner|admin|member) or invitedSource (dashboard|api), naming the user
// by position on the page.
Result<UsersPage> parse_users_page(std::string_view json);

// Every listed user, found by email (any case) once finish() has sorted them.
class Directory {
  public:
    void add(std::vector<DirectoryUser> users);
    // Sorts for lookups. Errors: an email listed twice (a listing that shifted while it was read).
    Result<void> finish();

    const DirectoryUser* find(std::string_view email) const;  // any case; after finish()
    std::size_t size() const noexcept { return users_.size(); }
    const std::vector<DirectoryUser>& users() const noexcept { return users_; }  // sorted by email

  private:
    std::vector<DirectoryUser> users_;
    bool finished_ = false;
};

}  // namespace avara::sync
