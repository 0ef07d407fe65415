// gen_roster ROWS OUT.csv [--seed N]
//
// Writes a realistic HR roster for benchmarks and trials: about 80 bytes a row, ~1% of rows invalid
// in different ways, ~0.5% repeating an earlier email (in another case), a few quoted fields with
// commas, and the role spellings people really type. The same seed always gives the same file.
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "avara_onboard/schema/schema.hpp"

namespace {

// splitmix64: tiny, and its output is the same on every platform (unlike std:: distributions).
class Rng {
  public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool percent(double p) { return static_cast<double>(next() % 1000000) < p * 10000.0; }
    template <class T, std::size_t N>
    const T& pick(const std::array<T, N>& a) {
        return a[below(N)];
    }

  private:
    std::uint64_t state_;
};

constexpr std::array<std::string_view, 24> first_names = {
    "Ana",   "Ben",  "Chloe", "David", "Elena", "Farid", "Grace", "Hiro",  "Ines", "Jamal",  "Kate", "Liam",
    "Maria", "Noah", "Olga",  "Priya", "Quinn", "Rosa",  "Sam",   "Tomas", "Uma",  "Victor", "Wen",  "Zoe"};
constexpr std::array<std::string_view, 24> last_names = {
    "Adams", "Brown", "Chen",  "Diaz",   "Evans", "Fischer", "Garcia", "Hughes",
    "Ito",   "Jones", "Khan",  "Lopez",  "Moore", "Nguyen",  "Okafor", "Patel",
    "Quist", "Rossi", "Silva", "Tanaka", "Ueda",  "Vargas",  "Weber",  "Young"};
constexpr std::array<std::string_view, 6> domains = {"northclinic.org", "stmarys.health", "cardio.co",
                                                     "imaging.net",     "avmed.com",      "kidscare.org"};
constexpr std::array<std::string_view, 8> middle_names = {"A.",  "Lee", "Marie", "J.",
                                                          "Ann", "Ray", "K.",    "Jo"};
constexpr std::array<std::string_view, 8> trues = {"true", "TRUE", "yes", "Y", "1", "True", "y", "true"};
constexpr std::array<std::string_view, 8> falses = {"false", "FALSE", "no", "N", "0", "False", "n", "false"};

std::string role_spelling(Rng& rng) {
    const auto& role = avara::schema::clinic_roles[rng.below(avara::schema::clinic_roles.size())];
    switch (rng.below(6)) {
        case 0:
            return std::string(role.constant);  // REGISTERED_NURSE
        case 1: {                               // registered nurse
            std::string s(role.display);
            for (char& c : s) {
                c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
            }
            return s;
        }
        default:
            return std::string(role.display);  // Registered Nurse
    }
}

std::string phone(Rng& rng) {
    char digits[11];
    for (char& d : digits) {
        d = static_cast<char>('0' + rng.below(10));
    }
    const std::string_view n(digits, 10);
    switch (rng.below(5)) {
        case 0:
        case 4:
            return "";  // many rosters have no phone for most staff
        case 1:
            return "+1 (" + std::string(n.substr(0, 3)) + ") " + std::string(n.substr(3, 3)) + "-" +
                   std::string(n.substr(6));
        case 2:
            return std::string(n.substr(0, 3)) + "." + std::string(n.substr(3, 3)) + "." +
                   std::string(n.substr(6));
        default:
            return std::string(n);
    }
}

// The ways a row goes wrong in real rosters; each breaks one rule of the contract.
enum class Flaw {
    none,
    no_at,
    empty_first,
    bad_role,
    owner,
    bad_bool,
    admin_no_dashboard,
    short_phone,
    missing_cell,
    junk_after_quote
};
constexpr int flaw_count = 9;

struct Row {
    std::string email, first, last, middle, suffix1, suffix2, role, level, manage, dashboard, phone;
};

void append_row(std::string& out, const Row& r, Flaw flaw) {
    const std::array<const std::string*, 11> cells = {&r.email,   &r.first,     &r.last, &r.middle,
                                                      &r.suffix1, &r.suffix2,   &r.role, &r.level,
                                                      &r.manage,  &r.dashboard, &r.phone};
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (flaw == Flaw::missing_cell && i == 5) {
            continue;
        }
        if (i > 0) {
            out += ',';
        }
        out += *cells[i];
    }
    out += '\n';
}

int usage() {
    std::fprintf(stderr, "usage: gen_roster ROWS OUT.csv [--seed N]\n");
    return 2;
}

bool parse_u64(const char* s, std::uint64_t& out) {
    const char* end = s + std::strlen(s);
    auto [p, ec] = std::from_chars(s, end, out);
    return ec == std::errc() && p == end;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t rows = 0;
    std::uint64_t seed = 1;
    std::vector<const char*> positional;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], seed)) {
                return usage();
            }
        } else {
            positional.push_back(argv[i]);
        }
    }
    if (positional.size() != 2 || !parse_u64(positional[0], rows)) {
        return usage();
    }
    std::FILE* f = std::fopen(positional[1], "wb");
    if (f == nullptr) {
        std::perror(positional[1]);
        return 1;
    }

    Rng rng(seed);
    std::string out =
        "email,first_name,last_name,middle_name,suffix1,suffix2,clinic_role,level,can_manage_studies,"
        "has_dashboard_access,phone_number\n";
    std::vector<std::string> recent_emails;  // a bounded pool, so memory stays flat for huge files
    std::uint64_t invalid = 0;
    std::uint64_t duplicates = 0;
    for (std::uint64_t i = 0; i < rows; ++i) {
        Row r;
        r.first = rng.pick(first_names);
        r.last = rng.pick(last_names);
        r.email = r.first + "." + r.last + std::to_string(i) + "@" + std::string(rng.pick(domains));
        for (char& c : r.email) {
            c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
        }
        if (rng.percent(10)) {
            r.middle = rng.pick(middle_names);
        }
        if (rng.percent(0.7)) {
            r.suffix1 = "\"MD, PhD\"";
        } else if (rng.percent(2)) {
            r.suffix1 = "Jr.";
        }
        if (rng.percent(0.5)) {
            r.last = "\"" + r.last + ", Jr.\"";
        }
        r.role = role_spelling(rng);
        const bool admin = rng.percent(8);
        r.level = admin ? (rng.percent(50) ? "admin" : "Admin") : (rng.percent(70) ? "member" : "Member");
        r.manage = rng.percent(30) ? rng.pick(trues) : rng.pick(falses);
        r.dashboard = (admin || rng.percent(60)) ? rng.pick(trues) : rng.pick(falses);
        r.phone = phone(rng);

        if (rng.percent(0.5) && !recent_emails.empty()) {
            std::string dup = recent_emails[rng.below(recent_emails.size())];
            dup[0] = static_cast<char>(dup[0] >= 'a' && dup[0] <= 'z' ? dup[0] - 32 : dup[0]);
            r.email = dup;
            ++duplicates;
        } else if (recent_emails.size() < 4096) {
            recent_emails.push_back(r.email);
        } else {
            recent_emails[rng.below(recent_emails.size())] = r.email;
        }

        Flaw flaw = Flaw::none;
        if (rng.percent(1)) {
            flaw = static_cast<Flaw>(1 + rng.below(flaw_count));
            ++invalid;
        }
        switch (flaw) {
            case Flaw::none:
                break;
            case Flaw::no_at:
                r.email.replace(r.email.find('@'), 1, " at ");
                break;
            case Flaw::empty_first:
                r.first = "  ";
                break;
            case Flaw::bad_role:
                r.role = "Janitor";
                break;
            case Flaw::owner:
                r.level = "owner";
                break;
            case Flaw::bad_bool:
                r.manage = "maybe";
                break;
            case Flaw::admin_no_dashboard:
                r.level = "admin";
                r.dashboard = "false";
                break;
            case Flaw::short_phone:
                r.phone = "555-0199";
                break;
            case Flaw::missing_cell:
                break;
            case Flaw::junk_after_quote:
                r.first = "\"" + r.first + "\" (Nurse)";
                break;
        }
        append_row(out, r, flaw);
        if (out.size() >= (1u << 20)) {
            if (std::fwrite(out.data(), 1, out.size(), f) != out.size()) {
                std::perror(positional[1]);
                return 1;
            }
            out.clear();
        }
    }
    if (std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f) != 0) {
        std::perror(positional[1]);
        return 1;
    }
    std::fprintf(stderr, "gen_roster: %llu rows (%llu invalid, %llu duplicate emails) -> %s\n",
                 static_cast<unsigned long long>(rows), static_cast<unsigned long long>(invalid),
                 static_cast<unsigned long long>(duplicates), positional[1]);
    return 0;
}
