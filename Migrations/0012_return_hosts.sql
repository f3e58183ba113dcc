-- The hosts a portal may send a citizen back to after VNPay (`vnp_ReturnUrl`): set with
-- `feepay portal set-return-hosts`. Empty, no checkout URL is signed for the portal.
ALTER TABLE portals ADD COLUMN return_hosts text[] NOT NULL DEFAULT '{}';
