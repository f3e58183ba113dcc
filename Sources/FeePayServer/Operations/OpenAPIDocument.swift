/// The OpenAPI 3.1 document that `GET /openapi.yaml` serves and `feepay openapi` prints.
public var openAPIDocument: String { OpenAPIDocument.yaml }

/// The contract of api.md as built so far. CI validates it with openapi-spec-validator.
enum OpenAPIDocument {
  static let yaml = #"""
    openapi: 3.1.0
    info:
      title: FeePay API
      version: "1.0.0"
      summary: Cashless fee payments for administrative procedures.
      description: |
        Portals create fee invoices for citizens' dossiers; banks post signed callbacks;
        accountants reconcile. This document describes what is built so far: the invoices API,
        bank callbacks, payment exceptions, the ledger, health and metrics. Conventions: JSON bodies with snake_case members; amounts are
        integers in the currency's minor unit (VND has none: 1 = 1 đồng); timestamps are
        RFC 3339 and FeePay answers in UTC with whole seconds; ids are opaque strings with a type
        prefix (`inv_…`). Every response carries `X-Request-Id` (the client's, if it sent one).
        Errors are RFC 9457 problem documents. Unknown request members are ignored.
      license:
        name: Proprietary
        identifier: LicenseRef-FeePay
    servers:
      - url: http://127.0.0.1:8080
        description: feepay serve on a laptop
    security:
      - apiKey: []
    tags:
      - name: invoices
        description: Fee invoices, for portals.
      - name: banks
        description: Signed payment callbacks from banks and gateways.
      - name: receipts
        description: E-receipts, their verification and the citizen's receipt page.
      - name: accountants
        description: Payment exceptions and the ledger.
      - name: operations
        description: Health, metrics and description of the service.
    paths:
      /v1/invoices:
        post:
          tags: [invoices]
          operationId: createInvoice
          summary: Create a fee invoice
          description: |
            Portal keys only. Idempotent with Stripe's semantics: the same `Idempotency-Key` and the
            same body within 24 hours returns the first response again, byte for byte, with
            `Idempotent-Replayed: true`; the same key with a different body is
            `422 idempotency_key_reused`; a key whose first request is still running is
            `409 idempotency_request_in_progress`. Keys are per portal. A request rejected before
            it is executed (validation, authorization) does not use up its key.
          parameters:
            - $ref: "#/components/parameters/IdempotencyKey"
            - $ref: "#/components/parameters/RequestID"
          requestBody:
            required: true
            content:
              application/json:
                schema: { $ref: "#/components/schemas/NewInvoice" }
          responses:
            "201":
              description: Created (or replayed).
              headers:
                Idempotent-Replayed:
                  description: "`true` when this is the stored response of an earlier request."
                  schema: { type: string, enum: ["true"] }
                X-Request-Id: { $ref: "#/components/headers/RequestID" }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Invoice" }
            "400": { $ref: "#/components/responses/Malformed" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "409": { $ref: "#/components/responses/Conflict" }
            "413": { $ref: "#/components/responses/TooLarge" }
            "415": { $ref: "#/components/responses/UnsupportedMediaType" }
            "422": { $ref: "#/components/responses/Unprocessable" }
            "503": { $ref: "#/components/responses/Unavailable" }
        get:
          tags: [invoices]
          operationId: listInvoices
          summary: List invoices, newest first
          description: A portal sees its own invoices; accountant, auditor and admin keys see all.
          parameters:
            - name: dossier_code
              in: query
              schema: { type: string, minLength: 1, maxLength: 64 }
            - name: status
              in: query
              description: An open invoice past `expires_at` counts as `expired`.
              schema: { $ref: "#/components/schemas/InvoiceStatus" }
            - name: created_after
              in: query
              description: Only invoices created after this second (exclusive).
              schema: { type: string, format: date-time }
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page.
              headers:
                X-Request-Id: { $ref: "#/components/headers/RequestID" }
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data:
                        type: array
                        items: { $ref: "#/components/schemas/Invoice" }
                      next_cursor:
                        type: [string, "null"]
                        description: Pass as `cursor` for the next page; `null` on the last page.
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/invoices/{id}:
        get:
          tags: [invoices]
          operationId: getInvoice
          summary: Get an invoice
          parameters:
            - $ref: "#/components/parameters/InvoiceID"
          responses:
            "200":
              description: The invoice.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Invoice" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/invoices/{id}/cancel:
        post:
          tags: [invoices]
          operationId: cancelInvoice
          summary: Cancel an open invoice
          description: Only the owning portal, only `open` → `cancelled`. Emits `invoice.cancelled`.
          parameters:
            - $ref: "#/components/parameters/InvoiceID"
          responses:
            "200":
              description: The cancelled invoice.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Invoice" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
      /v1/invoices/{id}/checkout:
        get:
          tags: [invoices]
          operationId: checkoutInvoice
          summary: The signed VNPay payment URL for an open invoice
          parameters:
            - $ref: "#/components/parameters/InvoiceID"
            - name: connector
              in: query
              required: true
              description: A connector of kind `vnpay` that may collect for the invoice's agency.
              schema: { type: string }
            - name: return_url
              in: query
              required: true
              description: Where VNPay sends the citizen back (http or https).
              schema: { type: string, format: uri }
            - name: ip_addr
              in: query
              description: The citizen's IP address for vnp_IpAddr (default 127.0.0.1).
              schema: { type: string }
          responses:
            "200":
              description: The URL, valid for 15 minutes or until the invoice expires.
              content:
                application/json:
                  schema:
                    type: object
                    required: [connector, url, expires_at]
                    properties:
                      connector: { type: string }
                      url: { type: string, format: uri }
                      expires_at: { type: string, format: date-time }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/events:
        get:
          tags: [invoices]
          operationId: listEvents
          summary: The portal's events in commit order (polling)
          description: |
            The same objects that webhooks deliver, oldest first. Pass `next_cursor` as `after` next
            time; events appear in commit order, so a cursor never skips one that commits later.
          parameters:
            - { name: after, in: query, schema: { type: string } }
            - $ref: "#/components/parameters/Limit"
          responses:
            "200":
              description: One page.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, has_more, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/Event" } }
                      has_more: { type: boolean }
                      next_cursor: { type: [string, "null"] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/events/{id}/redeliver:
        post:
          tags: [invoices]
          operationId: redeliverEvent
          summary: Queue a webhook delivery of one of the portal's events again
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          responses:
            "202":
              description: Queued.
              content:
                application/json:
                  schema:
                    type: object
                    required: [event_id, status]
                    properties:
                      event_id: { type: string }
                      status: { type: string, enum: [pending] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
      /v1/webhook-deliveries:
        get:
          tags: [invoices]
          operationId: listWebhookDeliveries
          summary: Webhook deliveries (a portal's own; auditors and admins see all)
          parameters:
            - { name: status, in: query, schema: { type: string, enum: [pending, delivering, delivered, failed] } }
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/WebhookDelivery" } }
                      next_cursor: { type: [string, "null"] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/invoices/{id}/receipt:
        get:
          tags: [receipts]
          operationId: getInvoiceReceipt
          summary: The invoice's current receipt
          parameters:
            - $ref: "#/components/parameters/InvoiceID"
          responses:
            "200":
              description: The receipt.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Receipt" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/receipts/{id}:
        get:
          tags: [receipts]
          operationId: getReceipt
          summary: A receipt (a portal sees its own)
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          responses:
            "200":
              description: The receipt.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Receipt" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/receipts/{id}/replace:
        post:
          tags: [receipts]
          operationId: replaceReceipt
          summary: Replace a wrong receipt (accountant, admin)
          description: A new number and signature for the corrected payer; the old receipt is kept, marked `replaced`.
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reason, payer]
                  properties:
                    reason: { type: string, minLength: 1, maxLength: 500 }
                    payer:
                      type: object
                      required: [name]
                      properties:
                        name: { type: string, minLength: 1, maxLength: 200 }
                        id_number: { type: string, pattern: "^[A-Za-z0-9]{1,20}$" }
          responses:
            "201":
              description: The replacement receipt.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Receipt" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/receipts/verify:
        post:
          tags: [receipts]
          operationId: verifyReceipt
          summary: Check a receipt's JWS (anyone)
          security: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [jws]
                  properties:
                    jws: { type: string }
          responses:
            "200":
              description: "`valid: true` with the receipt, or `valid: false` with the reason (bad signature, unknown key, replaced receipt)."
              content:
                application/json:
                  schema:
                    type: object
                    required: [valid]
                    properties:
                      valid: { type: boolean }
                      receipt: { $ref: "#/components/schemas/Receipt" }
                      reason: { type: string }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/reports/receipt-usage:
        get:
          tags: [receipts]
          operationId: receiptUsage
          summary: Receipt usage per template and series (form BC26/BLĐT) (accountant, auditor, admin)
          parameters:
            - { name: from, in: query, required: true, schema: { type: string, format: date } }
            - { name: to, in: query, required: true, schema: { type: string, format: date } }
            - { name: agency, in: query, schema: { type: string } }
          responses:
            "200":
              description: One row per agency, template and series.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/ReceiptUsage" } }
                      next_cursor: { type: "null" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /.well-known/jwks.json:
        get:
          tags: [receipts]
          operationId: jwks
          summary: Every public key that ever signed a receipt
          security: []
          responses:
            "200":
              description: A JWK set (OKP, Ed25519).
              content:
                application/jwk-set+json:
                  schema:
                    type: object
                    required: [keys]
                    properties:
                      keys:
                        type: array
                        items:
                          type: object
                          required: [kty, crv, x, kid, use, alg]
                          properties:
                            kty: { type: string, enum: [OKP] }
                            crv: { type: string, enum: [Ed25519] }
                            x: { type: string }
                            kid: { type: string }
                            use: { type: string, enum: [sig] }
                            alg: { type: string, enum: [EdDSA] }
      /pay/{payment_code}:
        get:
          tags: [invoices]
          operationId: paymentPage
          summary: The citizen's payment page (the invoice's payment_url; HTML, `?lang=en` for English)
          security: []
          parameters:
            - { name: payment_code, in: path, required: true, schema: { type: string } }
            - { name: lang, in: query, schema: { type: string, enum: [vi, en] } }
          responses:
            "200":
              description: What is owed, to which account, the memo, and the VietQR code.
              content:
                text/html:
                  schema: { type: string }
            "404":
              description: No invoice has this payment code.
              content:
                text/html:
                  schema: { type: string }
      /receipts/{lookup_code}:
        get:
          tags: [receipts]
          operationId: receiptPage
          summary: The citizen's receipt page (HTML, Vietnamese; `?lang=en` for English)
          security: []
          parameters:
            - { name: lookup_code, in: path, required: true, schema: { type: string } }
            - { name: lang, in: query, schema: { type: string, enum: [vi, en] } }
          responses:
            "200":
              description: The receipt, whether its signature is valid, and a QR code of its verification URL.
              content:
                text/html:
                  schema: { type: string }
            "404":
              description: No receipt has this lookup code.
              content:
                text/html:
                  schema: { type: string }
      /v1/callbacks/{connector}:
        parameters:
          - name: connector
            in: path
            required: true
            schema: { type: string }
        post:
          tags: [banks]
          operationId: postCallback
          summary: A bank's signed payment notification (Standard Webhooks)
          description: |
            No API key: the Standard Webhooks signature is the authentication (`v1` HMAC-SHA256 for
            `standard-webhooks` connectors, `v1a` Ed25519 for `standard-webhooks-ed25519`), over
            `webhook-id.webhook-timestamp.body`, within ±300 s. Several space-separated signatures may be
            sent during a key rotation. The answer is sent after the effect has committed. For `vnpay`
            connectors, a POST with a form body is read like the GET below.
          security: []
          parameters:
            - { name: webhook-id, in: header, required: true, schema: { type: string } }
            - { name: webhook-timestamp, in: header, required: true, schema: { type: string, pattern: "^[0-9]+$" } }
            - { name: webhook-signature, in: header, required: true, schema: { type: string } }
          requestBody:
            required: true
            content:
              application/json:
                schema: { $ref: "#/components/schemas/PaymentNotification" }
          responses:
            "200":
              description: "`accepted` (payment recorded), `duplicate` (this bank transaction was seen before; nothing changed), `exception` (money held in suspense), or `ignored` (an event type other than payment.succeeded)."
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/CallbackAnswer" }
            "400": { $ref: "#/components/responses/Malformed" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
            "413": { $ref: "#/components/responses/TooLarge" }
        get:
          tags: [banks]
          operationId: vnpayIPN
          summary: VNPay's IPN (vnp_* query parameters, HMAC-SHA512 in vnp_SecureHash)
          description: |
            Checked in VNPay's order: signature → order exists → amount → still unpaid. Always HTTP 200
            with `RspCode`: 00 confirmed (also for a failed attempt, which is recorded and leaves the
            invoice open), 01 order not found, 02 already confirmed, 04 invalid amount, 97 invalid
            signature, 99 malformed.
          security: []
          responses:
            "200":
              description: VNPay's answer.
              content:
                application/json:
                  schema:
                    type: object
                    required: [RspCode, Message]
                    properties:
                      RspCode: { type: string, enum: ["00", "01", "02", "04", "97", "99"] }
                      Message: { type: string }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/exceptions:
        get:
          tags: [accountants]
          operationId: listExceptions
          summary: Payment exceptions (accountant, auditor, admin)
          parameters:
            - { name: status, in: query, schema: { type: string, enum: [open, resolved] } }
            - { name: connector, in: query, schema: { type: string } }
            - { name: business_date, in: query, schema: { type: string, format: date } }
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page, oldest first.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/PaymentException" } }
                      next_cursor: { type: [string, "null"] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/settlements:
        post:
          tags: [accountants]
          operationId: importSettlement
          summary: Import and reconcile a bank statement (accountant, admin)
          parameters:
            - { name: connector, in: query, required: true, schema: { type: string } }
            - { name: business_date, in: query, required: true, schema: { type: string, format: date } }
          requestBody:
            required: true
            content:
              text/csv:
                schema: { type: string, description: "FeePay's CSV, or the connector's declared column mapping." }
              application/xml:
                schema: { type: string, description: "ISO 20022 camt.053 or camt.054, .001.02 to .001.08." }
          responses:
            "201":
              description: The statement and its reconciliation summary.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Settlement" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
            "413": { $ref: "#/components/responses/TooLarge" }
            "415": { $ref: "#/components/responses/UnsupportedMediaType" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/settlements/{id}:
        get:
          tags: [accountants]
          operationId: getSettlement
          summary: A statement's reconciliation summary
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          responses:
            "200":
              description: The summary.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Settlement" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/settlements/{id}/items:
        get:
          tags: [accountants]
          operationId: listSettlementItems
          summary: A statement's lines with their categories
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
            - name: category
              in: query
              schema: { type: string, enum: [matched, amount_mismatch, recovered, missing_in_feepay, duplicate_in_bank, debit, reversal, other_currency] }
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page, in line order.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/SettlementItem" } }
                      next_cursor: { type: [string, "null"] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "404": { $ref: "#/components/responses/NotFound" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/settlements/{id}/report.csv:
        get:
          tags: [accountants]
          operationId: settlementReport
          summary: Every line with its category, as CSV
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          responses:
            "200":
              description: CSV.
              content:
                text/csv:
                  schema: { type: string }
            "404": { $ref: "#/components/responses/NotFound" }
      /v1/exceptions/{id}/resolve:
        post:
          tags: [accountants]
          operationId: resolveException
          summary: Resolve an open exception once, with a note (accountant, admin)
          parameters:
            - { name: id, in: path, required: true, schema: { type: string } }
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [action, note]
                  properties:
                    action: { type: string, enum: [apply_to_invoice, refund, write_off, accept_bank_record] }
                    invoice_id: { type: string, description: "For apply_to_invoice." }
                    note: { type: string, minLength: 1, maxLength: 1000 }
          responses:
            "200":
              description: The resolved exception.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/PaymentException" }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "404": { $ref: "#/components/responses/NotFound" }
            "409": { $ref: "#/components/responses/Conflict" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/business-days/{date}/close:
        post:
          tags: [accountants]
          operationId: closeBusinessDay
          summary: Close a business day; afterwards nothing dated on it changes
          parameters:
            - { name: date, in: path, required: true, schema: { type: string, format: date } }
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    force: { type: boolean, default: false }
                    note: { type: string, description: "Required with force." }
          responses:
            "200":
              description: Closed.
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      business_date: { type: string, format: date }
                      closed_at: { type: string, format: date-time }
                      forced: { type: boolean }
                      open_exceptions: { type: integer }
                      connectors_without_statement: { type: array, items: { type: string } }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "409": { $ref: "#/components/responses/Conflict" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/reports/remittance:
        get:
          tags: [accountants]
          operationId: remittance
          summary: Per agency and fee code, what is owed to the State Treasury for a day
          parameters:
            - { name: date, in: query, required: true, schema: { type: string, format: date } }
            - { name: format, in: query, schema: { type: string, enum: [json, csv] } }
          responses:
            "200":
              description: The remittance; the total equals the day's fees_payable movement.
              content:
                application/json:
                  schema:
                    type: object
                    required: [business_date, total, data]
                    properties:
                      business_date: { type: string, format: date }
                      total: { type: integer }
                      data:
                        type: array
                        items:
                          type: object
                          required: [agency_code, fee_code, amount]
                          properties:
                            agency_code: { type: string }
                            fee_code: { type: string }
                            amount: { type: integer }
                text/csv:
                  schema: { type: string }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/ledger/balances:
        get:
          tags: [accountants]
          operationId: ledgerBalances
          summary: Every account's debits, credits and balance (accountant, auditor, admin)
          parameters:
            - { name: as_of, in: query, description: "Journals created up to this time (default now).", schema: { type: string, format: date-time } }
          responses:
            "200":
              description: Balances.
              content:
                application/json:
                  schema:
                    type: object
                    required: [as_of, data]
                    properties:
                      as_of: { type: string, format: date-time }
                      data: { type: array, items: { $ref: "#/components/schemas/LedgerBalance" } }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
            "422": { $ref: "#/components/responses/Unprocessable" }
      /v1/ledger/entries:
        get:
          tags: [accountants]
          operationId: ledgerEntries
          summary: Postings, oldest first (accountant, auditor, admin)
          parameters:
            - { name: account, in: query, schema: { type: string, examples: ["bank_clearing:vcb"] } }
            - $ref: "#/components/parameters/Limit"
            - $ref: "#/components/parameters/Cursor"
          responses:
            "200":
              description: One page.
              content:
                application/json:
                  schema:
                    type: object
                    required: [data, next_cursor]
                    properties:
                      data: { type: array, items: { $ref: "#/components/schemas/LedgerEntry" } }
                      next_cursor: { type: [string, "null"] }
            "401": { $ref: "#/components/responses/Unauthenticated" }
            "403": { $ref: "#/components/responses/Forbidden" }
      /metrics:
        get:
          tags: [operations]
          operationId: metrics
          summary: Prometheus metrics
          security: []
          responses:
            "200":
              description: Prometheus text exposition format.
              content:
                text/plain:
                  schema: { type: string }
      /health/live:
        get:
          tags: [operations]
          operationId: live
          summary: The process is up
          security: []
          responses:
            "200":
              description: Live.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Health" }
      /health/ready:
        get:
          tags: [operations]
          operationId: ready
          summary: The database answers and every migration is applied
          security: []
          responses:
            "200":
              description: Ready.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Health" }
            "503": { $ref: "#/components/responses/Unavailable" }
      /openapi.yaml:
        get:
          tags: [operations]
          operationId: openapi
          summary: This document
          security: []
          responses:
            "200":
              description: OpenAPI 3.1 in YAML.
              content:
                application/yaml:
                  schema: { type: string }
    components:
      securitySchemes:
        apiKey:
          type: http
          scheme: bearer
          bearerFormat: "fpk_ followed by 43 base64url characters"
          description: |
            `Authorization: Bearer fpk_…`. Keys are created with `feepay key create` and belong to a
            portal (role `portal`) or carry the role `accountant`, `auditor` or `admin`.
      parameters:
        IdempotencyKey:
          name: Idempotency-Key
          in: header
          required: true
          schema: { type: string, minLength: 1, maxLength: 255, pattern: "^[\\x20-\\x7E]+$" }
        RequestID:
          name: X-Request-Id
          in: header
          required: false
          description: Echoed in the response and in FeePay's logs (1-128 printable ASCII characters).
          schema: { type: string, maxLength: 128 }
        InvoiceID:
          name: id
          in: path
          required: true
          schema: { type: string, examples: ["inv_01m8kvjq4pe8d94x57xsswyq8x"] }
        Limit:
          name: limit
          in: query
          schema: { type: integer, minimum: 1, maximum: 100, default: 50 }
        Cursor:
          name: cursor
          in: query
          description: The `next_cursor` of the previous page.
          schema: { type: string }
      headers:
        RequestID:
          description: The request's id (the client's `X-Request-Id`, or a new one).
          schema: { type: string }
      responses:
        Malformed:
          description: "`malformed_request`: not JSON, not an object, or a required header is missing."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        Unauthenticated:
          description: "`unauthenticated`: no key, an unknown key or a revoked key."
          headers:
            WWW-Authenticate:
              schema: { type: string, enum: [Bearer] }
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        Forbidden:
          description: "`forbidden`: the key's role or agencies do not allow this."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        NotFound:
          description: "`not_found`: no such object visible to this key."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        Conflict:
          description: "`invoice_not_open`, `idempotency_request_in_progress` or `conflict`."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        TooLarge:
          description: "`payload_too_large`: the JSON body is over 1 MiB."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        UnsupportedMediaType:
          description: "`unsupported_media_type`: send `Content-Type: application/json`."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        Unprocessable:
          description: "`validation_failed` (with `errors[]`) or `idempotency_key_reused`."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
        Unavailable:
          description: "`unavailable`: the database cannot be reached; nothing was changed."
          content:
            application/problem+json:
              schema: { $ref: "#/components/schemas/Problem" }
      schemas:
        InvoiceStatus:
          type: string
          enum: [open, paid, expired, cancelled, refunded]
        Payer:
          type: object
          required: [name]
          properties:
            name: { type: string, minLength: 1, maxLength: 200, description: "Normalized to NFC; 1-200 characters." }
            id_number: { type: [string, "null"], pattern: "^[A-Za-z0-9]{1,20}$" }
            email: { type: [string, "null"], format: email, maxLength: 254 }
            phone: { type: [string, "null"], pattern: "^\\+?[0-9]{8,15}$" }
        NewLine:
          type: object
          required: [fee_code, description, quantity, unit_amount]
          properties:
            fee_code: { type: string, pattern: "^[A-Za-z0-9._-]{1,32}$" }
            description: { type: string, minLength: 1, maxLength: 500 }
            quantity: { type: integer, minimum: 1, maximum: 10000 }
            unit_amount: { type: integer, minimum: 1, maximum: 1000000000000 }
        Line:
          allOf:
            - $ref: "#/components/schemas/NewLine"
            - type: object
              required: [amount]
              properties:
                amount: { type: integer, description: "quantity × unit_amount" }
        NewInvoice:
          type: object
          required: [agency_code, dossier_code, procedure_code, payer, lines]
          properties:
            agency_code: { type: string, description: "An agency this portal may bill for." }
            dossier_code: { type: string, pattern: "^[A-Za-z0-9._/-]{1,64}$" }
            procedure_code: { type: string, pattern: "^[A-Za-z0-9._/-]{1,64}$" }
            payer: { $ref: "#/components/schemas/Payer" }
            lines:
              type: array
              minItems: 1
              maxItems: 100
              items: { $ref: "#/components/schemas/NewLine" }
            currency: { type: string, enum: [VND], default: VND }
            expires_at:
              type: string
              format: date-time
              description: In the future and at most 90 days ahead; default 72 hours from now.
            metadata:
              type: object
              maxProperties: 20
              description: At most 20 keys of 1-40 characters, string values of at most 500 characters, 4 KiB in all.
              additionalProperties: { type: string, maxLength: 500 }
          examples:
            - agency_code: HCM-STP
              dossier_code: 000.00.12.H29-261129-0001
              procedure_code: "1.001234"
              payer: { name: "Nguyễn Văn An", id_number: "079123456789" }
              lines:
                - { fee_code: LPHT-01, description: "Lệ phí cấp bản sao trích lục hộ tịch", quantity: 2, unit_amount: 8000 }
        Invoice:
          type: object
          required: [id, status, agency_code, dossier_code, procedure_code, payer, lines, total_amount, currency,
            payment_code, payment_url, vietqr, expires_at, created_at, paid_at, cancelled_at, receipt_id, metadata]
          properties:
            id: { type: string, examples: ["inv_01m8kvjq4pe8d94x57xsswyq8x"] }
            status: { $ref: "#/components/schemas/InvoiceStatus" }
            agency_code: { type: string }
            dossier_code: { type: string }
            procedure_code: { type: string }
            payer: { $ref: "#/components/schemas/Payer" }
            lines:
              type: array
              items: { $ref: "#/components/schemas/Line" }
            total_amount: { type: integer, minimum: 1 }
            currency: { type: string, enum: [VND] }
            payment_code:
              type: string
              pattern: "^[0-9A-HJKMNP-TV-Z]{11}$"
              description: What the citizen's transfer memo carries; Crockford base32 with a Luhn mod 32 check character.
            payment_url: { type: string, format: uri }
            vietqr: { type: string, description: "Dynamic VietQR (EMVCo) payload for the agency's account." }
            expires_at: { type: string, format: date-time }
            created_at: { type: string, format: date-time }
            paid_at: { type: [string, "null"], format: date-time }
            cancelled_at: { type: [string, "null"], format: date-time }
            receipt_id: { type: [string, "null"] }
            metadata:
              type: object
              additionalProperties: { type: string }
        PaymentNotification:
          type: object
          required: [type, data]
          properties:
            type: { type: string, examples: [payment.succeeded] }
            timestamp: { type: string, format: date-time }
            data:
              type: object
              required: [amount, currency, bank_txn_id, paid_at]
              properties:
                payment_code: { type: string, description: "If absent, FeePay looks for a payment code in memo." }
                amount: { type: integer, minimum: 1 }
                currency: { type: string, enum: [VND] }
                bank_txn_id: { type: string, minLength: 1, maxLength: 64 }
                paid_at: { type: string, format: date-time }
                payer_account: { type: string }
                payer_name: { type: string }
                memo: { type: string, maxLength: 500 }
        CallbackAnswer:
          type: object
          required: [status]
          properties:
            status: { type: string, enum: [accepted, duplicate, exception, ignored] }
            payment_id: { type: [string, "null"] }
            exception_id: { type: [string, "null"] }
        PaymentException:
          type: object
          required: [id, kind, status, connector, amount, currency, bank_txn_id, payment_code, invoice_id, business_date,
            created_at, resolution]
          properties:
            id: { type: string }
            kind:
              type: string
              enum: [unknown_payment_code, amount_mismatch, invoice_not_open, already_paid, connector_not_allowed,
                missing_in_feepay, missing_in_bank, amount_mismatch_in_statement]
            status: { type: string, enum: [open, resolved] }
            connector: { type: string }
            amount: { type: integer }
            currency: { type: string }
            bank_txn_id: { type: [string, "null"] }
            payment_code: { type: [string, "null"] }
            invoice_id: { type: [string, "null"] }
            business_date: { type: string, format: date }
            created_at: { type: string, format: date-time }
            resolution:
              oneOf:
                - type: "null"
                - type: object
                  required: [action, note, by, at]
                  properties:
                    action: { type: string }
                    note: { type: string }
                    by: { type: string }
                    at: { type: string, format: date-time }
        LedgerBalance:
          type: object
          required: [account, kind, debit, credit, balance]
          properties:
            account: { type: string, examples: ["bank_clearing:vcb"] }
            kind: { type: string, enum: [asset, liability, expense, income] }
            debit: { type: integer }
            credit: { type: integer }
            balance: { type: integer, description: "debit − credit for assets and expenses, credit − debit otherwise" }
        LedgerEntry:
          type: object
          required: [id, journal_id, kind, reference, account, debit, credit, business_date, created_at]
          properties:
            id: { type: integer }
            journal_id: { type: string }
            kind: { type: string, examples: [payment.accepted, payment.exception] }
            reference: { type: string, description: "The payment or exception the journal records." }
            account: { type: string }
            debit: { type: integer }
            credit: { type: integer }
            business_date: { type: string, format: date }
            created_at: { type: string, format: date-time }
        Event:
          type: object
          required: [id, type, created_at, data]
          properties:
            id: { type: string, examples: ["evt_01m8kvjq4pe8d94x57xsswyq8x"] }
            type: { type: string, enum: [invoice.paid, invoice.expired, invoice.cancelled, payment.exception, receipt.issued] }
            created_at: { type: string, format: date-time }
            data: { type: object, description: "The invoice, receipt or exception object as the API returns it." }
        WebhookDelivery:
          type: object
          required: [event_id, event_type, status, attempts, last_status, last_error, next_attempt_at, delivered_at]
          properties:
            event_id: { type: string }
            event_type: { type: string }
            status: { type: string, enum: [pending, delivering, delivered, failed] }
            attempts: { type: integer }
            last_status: { type: [integer, "null"] }
            last_error: { type: [string, "null"] }
            next_attempt_at: { type: [string, "null"], format: date-time }
            delivered_at: { type: [string, "null"], format: date-time }
        Receipt:
          type: object
          required: [id, invoice_id, status, type_name, template_symbol, series, number, issued_at, agency, payer,
            dossier_code, procedure_code, lines, total_amount, currency, amount_in_words, payment, lookup_code, verify_url,
            replaces, replaced_by, jws]
          properties:
            id: { type: string }
            invoice_id: { type: string }
            status: { type: string, enum: [issued, replaced] }
            type_name: { type: string, examples: ["BIÊN LAI THU PHÍ, LỆ PHÍ"] }
            template_symbol: { type: string }
            series: { type: string, examples: [C26TAA] }
            number: { type: string, pattern: "^[0-9]{7}$" }
            issued_at: { type: string, format: date-time }
            agency:
              type: object
              properties:
                code: { type: string }
                name: { type: string }
                tax_code: { type: string }
            payer:
              type: object
              properties:
                name: { type: string }
                id_number: { type: [string, "null"] }
            dossier_code: { type: string }
            procedure_code: { type: string }
            lines: { type: array, items: { $ref: "#/components/schemas/Line" } }
            total_amount: { type: integer }
            currency: { type: string }
            amount_in_words: { type: string, examples: ["Mười sáu nghìn đồng"] }
            payment:
              type: object
              properties:
                id: { type: string }
                connector: { type: string }
                method: { type: string }
                bank_txn_id: { type: string }
                paid_at: { type: string, format: date-time }
            lookup_code: { type: string }
            verify_url: { type: string, format: uri }
            replaces: { type: [string, "null"] }
            replaced_by: { type: [string, "null"] }
            jws: { type: string, description: "Compact JWS (EdDSA) over the canonical JSON of every other member but status and replaced_by." }
        ReceiptUsage:
          type: object
          required: [agency_code, template_symbol, series, first_number, last_number, issued, replaced, cancelled, total_amount]
          properties:
            agency_code: { type: string }
            template_symbol: { type: string }
            series: { type: string }
            first_number: { type: string }
            last_number: { type: string }
            issued: { type: integer }
            replaced: { type: integer }
            cancelled: { type: integer }
            total_amount: { type: integer }
        Settlement:
          type: object
          required: [id, connector, business_date, format, line_count, total_amount, status, summary]
          properties:
            id: { type: string }
            connector: { type: string }
            business_date: { type: string, format: date }
            format: { type: string, enum: [csv, camt.053, camt.054] }
            line_count: { type: integer }
            total_amount: { type: integer, description: "The file's VND credits." }
            status: { type: string, enum: [reconciled] }
            summary:
              type: object
              additionalProperties:
                type: object
                required: [count, amount]
                properties:
                  count: { type: integer }
                  amount: { type: integer }
        SettlementItem:
          type: object
          required: [line_no, bank_txn_id, payment_code, amount, currency, category, payment_id, invoice_id, exception_id]
          properties:
            line_no: { type: integer }
            bank_txn_id: { type: string }
            payment_code: { type: [string, "null"] }
            amount: { type: integer }
            currency: { type: string }
            category: { type: string }
            payment_id: { type: [string, "null"] }
            invoice_id: { type: [string, "null"] }
            exception_id: { type: [string, "null"] }
        Health:
          type: object
          required: [status]
          properties:
            status: { type: string, enum: [live, ready] }
        Problem:
          type: object
          description: RFC 9457 problem details.
          required: [type, title, status, detail, code, request_id]
          properties:
            type: { type: string, format: uri, examples: ["urn:feepay:problem:validation_failed"] }
            title: { type: string }
            status: { type: integer }
            detail: { type: string }
            code:
              type: string
              enum: [malformed_request, unauthenticated, forbidden, not_found, conflict, invoice_not_open,
                idempotency_request_in_progress, idempotency_key_reused, payload_too_large, unsupported_media_type,
                validation_failed, unavailable, internal_error, statement_already_imported, statement_invalid,
                day_closed, day_not_reconciled]
            request_id: { type: string }
            errors:
              type: array
              items:
                type: object
                required: [detail]
                properties:
                  pointer: { type: string, description: "RFC 6901 JSON Pointer into the request body." }
                  parameter: { type: string, description: "A query parameter or header." }
                  detail: { type: string }
    """#
}
