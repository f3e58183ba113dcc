import FeePayCore
import Foundation
import Testing

/// The console's people in the domain: the password rules, what an agency-limited person
/// sees, how emails are stored, and what an enrolment makes.
@Suite(.timeLimit(.minutes(1))) struct StaffTests {
  let email = "thu.nguyen@stp.gov.vn"
  let name = "Nguyễn Thị Thu"

  @Test(arguments: [
    ("ngắn quá", PasswordPolicy.Refusal.tooShort(minimum: 12)),
    (String(repeating: "đồng", count: 13), .tooLong(maximumBytes: 72)),
    ("password1234", .common),
    ("qwertyuiop123", .common),
    ("!!Password2024!!", .common),
    ("thu.nguyen-2026-so-thu", .personal),
    ("hoa don cua nguyễn 2026", .personal),
    ("ơơơơơơơơơơơơơơ", .pattern),
    ("ghijklmnopqrst", .pattern),
  ])
  func refusals(_ password: String, _ expected: PasswordPolicy.Refusal) {
    #expect(PasswordPolicy.refusal(password, email: email, name: name) == expected, "\(password)")
  }

  @Test func goodPassphrasesPass() {
    for password in ["Sổ thu phí tháng Chạp 2026", "correct horse battery staple", "ba con mèo trên mái nhà 7"] {
      #expect(PasswordPolicy.refusal(password, email: email, name: name) == nil, "\(password)")
    }
    // Exactly 72 bytes is accepted; the 73rd is refused rather than cut by bcrypt.
    let limit = String(repeating: "x7", count: 36)
    #expect(PasswordPolicy.refusal(limit, email: email, name: name) == nil)
    #expect(PasswordPolicy.refusal(limit + "y", email: email, name: name) == .tooLong(maximumBytes: 72))
  }

  @Test func agencyLimitsWhatAPersonSees() {
    let all = StaffMember(
      id: "stf_1", email: email, name: name, role: .accountant, agencies: [], status: .active, createdAt: Date())
    var limited = all
    limited.agencies = ["SO-TP"]
    #expect(all.sees(agency: "SO-XD") && all.sees(agency: nil))
    #expect(limited.sees(agency: "SO-TP"))
    #expect(!limited.sees(agency: "SO-XD"))
    #expect(!limited.sees(agency: nil), "money of no agency yet is for unrestricted people only")
    #expect(limited.principal.actor == "staff:\(email)")
  }

  @Test func emailsAreStoredLowercaseAndWhole() {
    #expect(StaffMember.isWellFormed(email: email))
    for bad in ["Thu@stp.gov.vn", "thu@", "@stp.gov.vn", "thu@stp", "thu @stp.gov.vn", "thu@@stp.gov.vn", "thu@.vn"] {
      #expect(!StaffMember.isWellFormed(email: bad), "\(bad)")
    }
  }

  @Test func anEnrolmentIsFreshEachTime() {
    let a = StaffEnrolment()
    let b = StaffEnrolment()
    #expect(a.token != b.token && a.totpSecret != b.totpSecret)
    #expect(a.token.count == 43 && a.totpSecret.count == 20)
    #expect(a.tokenHash == NewAPIKey.sha256(a.token))
  }
}
