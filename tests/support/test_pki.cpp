#include "support/test_pki.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace avara::test {
namespace {

namespace fs = std::filesystem;

void run(const std::string& command) {
    const std::string full = command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) != 0)
        throw std::runtime_error("test PKI: command failed: " + command);
}

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

void write_file(const fs::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out)
        throw std::runtime_error("test PKI: cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void make_ca(const fs::path& dir, const std::string& name, const std::string& cn) {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 -subj '/CN=" + cn +
        "' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'" +
        " -keyout " + quoted(dir / (name + ".key")) + " -out " + quoted(dir / (name + ".pem")));
}

void make_leaf(const fs::path& dir, const std::string& name, const std::string& san, int serial) {
    write_file(dir / (name + ".ext"),
               "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
               "extendedKeyUsage=serverAuth\nsubjectAltName=" +
                   san + "\n");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=avara test leaf'" +
        std::string(" -keyout ") + quoted(dir / (name + ".key")) + " -out " + quoted(dir / (name + ".csr")));
    run("openssl x509 -req -days 3 -set_serial " + std::to_string(serial) + " -in " +
        quoted(dir / (name + ".csr")) + " -CA " + quoted(dir / "ca.pem") + " -CAkey " +
        quoted(dir / "ca.key") + " -extfile " + quoted(dir / (name + ".ext")) + " -out " +
        quoted(dir / (name + ".pem")));
    write_file(dir / (name + "-chain.pem"), read_file(dir / (name + ".pem")) + read_file(dir / "ca.pem"));
}

// Removes the directory when the test process exits.
struct DirRemover {
    std::string dir;
    ~DirRemover() {
        std::error_code ec;
        if (!dir.empty())
            fs::remove_all(dir, ec);
    }
};

void make_all(const fs::path& dir) {
    make_ca(dir, "ca", "avara test CA");
    make_ca(dir, "other-ca", "unrelated test CA");
    make_leaf(dir, "leaf", "IP:127.0.0.1,DNS:localhost", 1001);
    make_leaf(dir, "wrong-name", "DNS:other.example", 1002);
}

TestPki make_pki() {
    std::string pattern = (fs::temp_directory_path() / "avara-pki-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("test PKI: mkdtemp failed");
    const fs::path dir(pattern);
    TestPki out;
    out.dir = pattern;
    try {
        make_all(dir);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        throw;
    }
    out.ca_cert = (dir / "ca.pem").string();
    out.other_ca_cert = (dir / "other-ca.pem").string();
    out.leaf_chain = (dir / "leaf-chain.pem").string();
    out.leaf_key = (dir / "leaf.key").string();
    out.wrong_name_chain = (dir / "wrong-name-chain.pem").string();
    out.wrong_name_key = (dir / "wrong-name.key").string();
    return out;
}

}  // namespace

const TestPki& TestPki::get() {
    static const TestPki pki = make_pki();
    static const DirRemover remover{pki.dir};
    return pki;
}

std::string write_temp_file(const std::string& name, const std::string& content) {
    const fs::path p = fs::path(TestPki::get().dir) / name;
    write_file(p, content);
    return p.string();
}

}  // namespace avara::test
