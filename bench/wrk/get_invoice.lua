-- GET /v1/invoices/{id} for one invoice.
local key = os.getenv("FEEPAY_KEY")
local id = os.getenv("FEEPAY_INVOICE")

request = function()
  return wrk.format("GET", "/v1/invoices/" .. id, {["Authorization"] = "Bearer " .. key})
end

dofile(os.getenv("FEEPAY_WRK_REPORT"))
