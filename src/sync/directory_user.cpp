#include "avara_onboard/sync/directory_user.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "avara_onboard/util/text.hpp"

namespace avara::sync {

namespace {

constexpr std::size_t raw_id_segment = 8;

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

std::optional<std::array<std::uint8_t, 16>> parse_usr_id(std::string_view id) {
    if (id.size() != 36 || !id.starts_with("usr_"))
        return std::nullopt;
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 16; ++i) {
        const int hi = hex_value(id[4 + 2 * i]);
        const int lo = hex_value(id[5 + 2 * i]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return out;
}

std::string normalised_role(std::string_view role) {
    if (const auto index = schema::parse_clinic_role(role))
        return std::string(schema::clinic_roles[*index].display);
    return std::string(role);
}

std::string normalised_phone(std::string_view phone) {
    if (phone.empty())
        return {};
    auto n = schema::normalize_phone(phone);
    return n.digits ? std::move(*n.digits) : std::string(phone);
}

// The segment index of a text field in packed_.
std::size_t segment_of(schema::Field f) noexcept {
    switch (f) {
        case schema::Field::email:
            return 0;
        case schema::Field::first_name:
            return 1;
        case schema::Field::last_name:
            return 2;
        case schema::Field::middle_name:
            return 3;
        case schema::Field::suffix1:
            return 4;
        case schema::Field::suffix2:
            return 5;
        case schema::Field::clinic_role:
            return 6;
        case schema::Field::phone_number:
            return 7;
        default:
            return raw_id_segment + 1;  // not a text field
    }
}

}  // namespace

std::string_view level_name(UserLevel l) noexcept {
    switch (l) {
        case UserLevel::admin:
            return "admin";
        case UserLevel::owner:
            return "owner";
        case UserLevel::member:
            break;
    }
    return "member";
}

std::string_view source_name(Source s) noexcept {
    return s == Source::dashboard ? "dashboard" : "api";
}

Result<DirectoryUser> DirectoryUser::make(const Listed& l) {
    if (l.email.empty())
        return make_error(ErrorKind::input, "a listed user has no email");
    if (l.user_id.empty())
        return make_error(ErrorKind::input, "the listed user " + std::string(l.email) + " has no userId");
    DirectoryUser u;
    const std::string role = normalised_role(l.clinic_role);
    const std::string phone = normalised_phone(l.phone_number);
    const std::string email = text::to_lower(l.email);
    for (std::string_view part : {std::string_view(email), l.first_name, l.last_name, l.middle_name,
                                  l.suffix1, l.suffix2, std::string_view(role), std::string_view(phone)}) {
        if (part.find('\0') != std::string_view::npos)
            return make_error(ErrorKind::input,
                              "the listed user " + email + " has a NUL character in a field");
        u.packed_.append(part);
        u.packed_.push_back('\0');
    }
    if (const auto id = parse_usr_id(l.user_id)) {
        u.id_ = *id;
    } else {
        u.flags_ |= raw_id_bit;
        u.packed_.append(l.user_id);
        u.packed_.push_back('\0');
    }
    u.packed_.shrink_to_fit();
    u.flags_ |= static_cast<std::uint8_t>(l.level);
    if (l.source == Source::dashboard)
        u.flags_ |= dashboard_bit;
    if (l.can_manage_studies)
        u.flags_ |= manage_bit;
    if (l.has_dashboard_access)
        u.flags_ |= access_bit;
    return u;
}

std::string_view DirectoryUser::segment(std::size_t index) const noexcept {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < index; ++i)
        begin = packed_.find('\0', begin) + 1;
    return std::string_view(packed_).substr(begin, packed_.find('\0', begin) - begin);
}

std::string_view DirectoryUser::email() const noexcept {
    return segment(0);
}

std::string DirectoryUser::user_id() const {
    if (flags_ & raw_id_bit)
        return std::string(segment(raw_id_segment));
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "usr_";
    for (std::uint8_t b : id_) {
        id.push_back(hex[b >> 4]);
        id.push_back(hex[b & 15]);
    }
    return id;
}

std::string DirectoryUser::value(schema::Field f) const {
    switch (f) {
        case schema::Field::level:
            return std::string(level_name(level()));
        case schema::Field::can_manage_studies:
            return can_manage_studies() ? "true" : "false";
        case schema::Field::has_dashboard_access:
            return has_dashboard_access() ? "true" : "false";
        default:
            return std::string(segment(segment_of(f)));
    }
}

std::uint64_t DirectoryUser::fingerprint() const noexcept {
    // FNV-1a, byte by byte: the same digest everywhere, unlike std::hash.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 0x100000001b3ULL;
    };
    for (char c : packed_)
        mix(static_cast<unsigned char>(c));
    for (std::uint8_t b : id_)
        mix(b);
    mix(flags_);
    return h;
}

namespace {

namespace json = boost::json;

std::string_view string_or_empty(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string())
        return {};
    return v->get_string();
}

bool bool_or_false(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

Result<DirectoryUser> read_user(const json::value& v, std::size_t position) {
    const auto bad = [position](const std::string& why) {
        return make_error(ErrorKind::input, "the listing's user " + std::to_string(position) + " " + why);
    };
    if (!v.is_object())
        return bad("is not a JSON object");
    const auto& o = v.get_object();
    DirectoryUser::Listed l;
    l.email = string_or_empty(o, "email");
    l.user_id = string_or_empty(o, "userId");
    l.first_name = string_or_empty(o, "firstName");
    l.last_name = string_or_empty(o, "lastName");
    l.clinic_role = string_or_empty(o, "clinicRole");
    l.middle_name = string_or_empty(o, "middleName");
    l.suffix1 = string_or_empty(o, "suffix1");
    l.suffix2 = string_or_empty(o, "suffix2");
    l.phone_number = string_or_empty(o, "phoneNumber");
    l.can_manage_studies = bool_or_false(o, "canManageStudies");
    l.has_dashboard_access = bool_or_false(o, "hasDashboardAccess");
    const auto level = string_or_empty(o, "level");
    if (level == "member" || level == "admin" || level == "owner") {
        l.level = level == "member"  ? UserLevel::member
                  : level == "admin" ? UserLevel::admin
                                     : UserLevel::owner;
    } else {
        return bad("has no level owner, admin or member");
    }
    const auto source = string_or_empty(o, "invitedSource");
    if (source != "api" && source != "dashboard")
        return bad("has no invitedSource dashboard or api");
    l.source = source == "api" ? Source::api : Source::dashboard;
    if (l.email.empty() || l.user_id.empty())
        return bad("has no email or no userId");
    return DirectoryUser::make(l);
}

}  // namespace

Result<UsersPage> parse_users_page(std::string_view body) {
    boost::system::error_code ec;
    const json::value doc = json::parse(body, ec);
    if (ec)
        return make_error(ErrorKind::input, "the users listing is not JSON: " + ec.message());
    const auto* o = doc.if_object();
    const auto* users = o ? o->if_contains("users") : nullptr;
    if (!users || !users->is_array())
        return make_error(ErrorKind::input, "the users listing has no \"users\" array");
    UsersPage page;
    page.users.reserve(users->get_array().size());
    std::size_t position = 0;
    for (const auto& v : users->get_array()) {
        auto user = read_user(v, ++position);
        if (!user)
            return user.error();
        page.users.push_back(std::move(*user));
    }
    if (const auto* more = o->if_contains("hasMore"); more && more->is_bool())
        page.has_more = more->get_bool();
    if (const auto* cursor = o->if_contains("cursor"); cursor && cursor->is_string())
        page.cursor = std::string(cursor->get_string());
    if (page.has_more && (!page.cursor || page.cursor->empty()))
        return make_error(ErrorKind::input, "the users listing says hasMore but gives no cursor");
    return page;
}

void Directory::add(std::vector<DirectoryUser> users) {
    if (users_.empty()) {
        users_ = std::move(users);
        return;
    }
    users_.insert(users_.end(), std::make_move_iterator(users.begin()), std::make_move_iterator(users.end()));
}

Result<void> Directory::finish() {
    std::sort(users_.begin(), users_.end(),
              [](const DirectoryUser& a, const DirectoryUser& b) { return a.email() < b.email(); });
    for (std::size_t i = 1; i < users_.size(); ++i) {
        if (users_[i].email() == users_[i - 1].email()) {
            return make_error(ErrorKind::input,
                              "the server listed " + std::string(users_[i].email()) +
                                  " twice (the listing shifted while it was read: try again)");
        }
    }
    users_.shrink_to_fit();
    finished_ = true;
    return {};
}

const DirectoryUser* Directory::find(std::string_view email) const {
    const std::string key = text::to_lower(email);
    const auto it =
        std::lower_bound(users_.begin(), users_.end(), key,
                         [](const DirectoryUser& u, const std::string& k) { return u.email() < k; });
    if (!finished_ || it == users_.end() || it->email() != key)
        return nullptr;
    return &*it;
}

}  // namespace avara::sync
