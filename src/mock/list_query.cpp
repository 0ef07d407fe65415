#include "avara_onboard/mock/list_query.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

#include "avara_onboard/util/text.hpp"

namespace avara::mock {

namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::optional<std::size_t> parse_number(std::string_view s) {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

bool icontains(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size())
        return false;
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        if (text::iequals(haystack.substr(i, needle.size()), needle))
            return true;
    }
    return false;
}

bool is_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

// limit and cursor, shared by both listings. Returns false when `key` is neither.
bool read_page_param(std::string_view key, std::string_view value, Page& page,
                     std::vector<FieldError>& errors) {
    if (key == "limit") {
        const auto n = parse_number(value);
        if (!n || *n < 1 || *n > max_page_size) {
            errors.push_back({"limit", "must be an integer from 1 to 100"});
        } else {
            page.limit = *n;
        }
        return true;
    }
    if (key == "cursor") {
        const auto offset = decode_cursor(value);
        if (!offset) {
            errors.push_back({"cursor", "is not a cursor this server gave out"});
        } else {
            page.offset = *offset;
        }
        return true;
    }
    return false;
}

void read_one_of(std::string_view key, std::string value, std::initializer_list<std::string_view> allowed,
                 std::optional<std::string>& target, std::vector<FieldError>& errors) {
    for (auto a : allowed) {
        if (value == a) {
            target = std::move(value);
            return;
        }
    }
    std::string message = "must be one of";
    for (auto a : allowed)
        message.append(" ").append(a);
    errors.push_back({std::string(key), message});
}

template <class Query, class Read>
QueryCheck<Query> parse_query(std::string_view target, Read read) {
    QueryCheck<Query> out;
    const auto url = boost::urls::parse_origin_form(target);
    Query q;
    if (url) {
        for (const auto& param : url->params(boost::urls::encoding_opts(false, false, false))) {
            if (!read_page_param(param.key, param.value, q.page, out.errors))
                read(q, param.key, std::string(param.value), out.errors);
        }
    }
    if (out.errors.empty())
        out.query = std::move(q);
    return out;
}

void read_user_param(UserQuery& q, std::string_view key, std::string value, std::vector<FieldError>& errors) {
    if (key == "email") {
        q.email = std::move(value);
    } else if (key == "firstName") {
        q.first_name = std::move(value);
    } else if (key == "lastName") {
        q.last_name = std::move(value);
    } else if (key == "level") {
        read_one_of(key, std::move(value), {"owner", "admin", "member"}, q.level, errors);
    } else if (key == "invitedSource") {
        read_one_of(key, std::move(value), {"dashboard", "api"}, q.invited_source, errors);
    }
}

void read_statuses(InvitationQuery& q, std::string_view value, std::vector<FieldError>& errors) {
    // Comma-joined, as the SDKs send an array; `status=sent&status=revoked` adds up the same way.
    while (true) {
        const auto comma = value.find(',');
        const auto name = value.substr(0, comma);
        const auto status = invitation_status_from(name);
        if (!status) {
            errors.push_back({"status", "must be sent, accepted, rejected or revoked (comma-joined)"});
            return;
        }
        q.statuses |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*status));
        if (comma == std::string_view::npos)
            return;
        value.remove_prefix(comma + 1);
    }
}

void read_invitation_param(InvitationQuery& q, std::string_view key, std::string value,
                           std::vector<FieldError>& errors) {
    if (key == "status") {
        read_statuses(q, value, errors);
    } else if (key == "expired") {
        if (value == "all") {
            q.expired = InvitationQuery::Expired::all;
        } else if (value == "expired") {
            q.expired = InvitationQuery::Expired::expired;
        } else if (value == "not-expired") {
            q.expired = InvitationQuery::Expired::not_expired;
        } else {
            errors.push_back({"expired", "must be one of all expired not-expired"});
        }
    } else if (key == "userId") {
        q.user_id = std::move(value);
    } else if (key == "startDate" || key == "endDate") {
        if (!is_date(value)) {
            errors.push_back({std::string(key), "must be a date, YYYY-MM-DD"});
        } else {
            (key == "startDate" ? q.start_date : q.end_date) = std::move(value);
        }
    }
}

}  // namespace

QueryCheck<UserQuery> parse_user_query(std::string_view target) {
    return parse_query<UserQuery>(target, read_user_param);
}

QueryCheck<InvitationQuery> parse_invitation_query(std::string_view target) {
    return parse_query<InvitationQuery>(target, read_invitation_param);
}

bool matches(const UserRecord& u, const UserQuery& q) {
    return (!q.email || text::iequals(u.email, *q.email)) &&
           (!q.first_name || icontains(u.first_name, *q.first_name)) &&
           (!q.last_name || icontains(u.last_name, *q.last_name)) && (!q.level || u.level == *q.level) &&
           (!q.invited_source || u.invited_source == *q.invited_source);
}

bool matches(const UserRecord& u, const InvitationQuery& q, std::int64_t now_unix) {
    if (u.invitation_id.empty())
        return false;  // owners were never invited
    if (q.statuses && !(q.statuses & (1u << static_cast<unsigned>(u.invitation_status()))))
        return false;
    if (q.expired != InvitationQuery::Expired::all &&
        u.invitation_expired(now_unix) != (q.expired == InvitationQuery::Expired::expired)) {
        return false;
    }
    if (q.user_id && u.id != *q.user_id)
        return false;
    const std::string_view day =
        u.created_at ? std::string_view(*u.created_at).substr(0, 10) : std::string_view();
    if (q.start_date && day < *q.start_date)
        return false;
    return !q.end_date || day <= *q.end_date;
}

std::string encode_cursor(std::size_t offset) {
    const std::string raw = "{\"offset\":" + std::to_string(offset) + "}";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : raw) {
        bits = (bits << 8) | c;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out.push_back(base64_alphabet[(bits >> count) & 0x3F]);
        }
    }
    if (count > 0)
        out.push_back(base64_alphabet[(bits << (6 - count)) & 0x3F]);
    while (out.size() % 4)
        out.push_back('=');
    return out;
}

std::optional<std::size_t> decode_cursor(std::string_view cursor) {
    std::string raw;
    std::uint32_t bits = 0;
    int count = 0;
    while (!cursor.empty() && cursor.back() == '=')
        cursor.remove_suffix(1);
    for (char c : cursor) {
        const auto v = base64_alphabet.find(c);
        if (v == std::string_view::npos)
            return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            raw.push_back(static_cast<char>((bits >> count) & 0xFF));
        }
    }
    constexpr std::string_view prefix = "{\"offset\":";
    if (!raw.starts_with(prefix) || !raw.ends_with('}'))
        return std::nullopt;
    return parse_number(std::string_view(raw).substr(prefix.size(), raw.size() - prefix.size() - 1));
}

}  // namespace avara::mock
