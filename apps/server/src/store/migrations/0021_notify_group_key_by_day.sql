-- The due-reminder scan's exactly-once key (notify_messages_group: channel, group_key) with the expiry day first:
-- group_key becomes 'YYYY-MM-DD|threshold|IIN' (it was 'IIN|threshold|YYYY-MM-DD'). Nothing reads the key's
-- parts; only its order in the index changes. With the IIN first, a day's new messages (≈ 13 k per window at
-- 10 M certificates) went each to a leaf of its own all over the index, dirtying one page per message — and
-- after every checkpoint, writing that page to the WAL in full. With the day first they go to one contiguous
-- stretch of it (notify/schedule/scan.ts).
-- Existing keys are rewritten so a pending message keeps its group. The keys 0019 made unique with '#id'
-- ('IIN|t|day#id') become 'day#id|t|IIN': still unique, and never equal to a key the scan writes.
UPDATE notify_messages
SET group_key = split_part(group_key, '|', 3) || '|' || split_part(group_key, '|', 2) || '|' || split_part(group_key, '|', 1)
WHERE group_key ~ '^[0-9]{12}\|';
