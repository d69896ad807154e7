-- Who recorded a tranche purchase (an operator's e-mail address, or the command line), for the
-- operators' audit trail. Purchases recorded before stay unattributed.
ALTER TABLE dinamis_orders.tranche ADD COLUMN recorded_by text;
