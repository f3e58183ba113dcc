/// How a payment row is written: every insert of a payment (an accepted callback, a
/// recovered statement line, money applied from suspense) names these columns, in this order.
enum PaymentRows {
  static let columns = """
    id, connector_code, bank_txn_id, invoice_id, amount, currency, paid_at, received_at, business_date, payer_account, \
    payer_name, memo, source, callback_id
    """
}
