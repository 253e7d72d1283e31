-- Heartbeats are scoped like results: p_namespaces is the caller's namespace scope (NULL = all). A lease of a
-- step outside it is neither extended nor described: it reads `lost`, as an unknown lease does.
DROP FUNCTION tasker.heartbeat_leases(text, uuid[], uuid[], integer);

CREATE FUNCTION tasker.heartbeat_leases(p_worker text, p_steps uuid[], p_tokens uuid[], p_lease_ms integer, p_namespaces text[])
RETURNS TABLE (step_uuid uuid, status text, lease_expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM tasker.touch_worker(p_worker, NULL, NULL);
  -- Same lock order as cancel_task (step_uuid), so a heartbeat and a cancel never deadlock.
  PERFORM 1 FROM tasker.steps s
  WHERE s.step_uuid = ANY (p_steps) AND s.state = 'in_progress'
    AND (p_namespaces IS NULL OR s.namespace = ANY (p_namespaces))
  ORDER BY s.step_uuid FOR UPDATE;
  RETURN QUERY
  WITH input AS (
    SELECT i.sid, i.token, i.ord FROM unnest(p_steps, p_tokens) WITH ORDINALITY AS i(sid, token, ord)
  ), ext AS (
    UPDATE tasker.steps s SET lease_expires_at = CASE
        WHEN s.timeout_seconds IS NULL THEN now() + make_interval(secs => p_lease_ms / 1000.0)
        ELSE least(now() + make_interval(secs => p_lease_ms / 1000.0),
                   s.last_attempted_at + make_interval(secs => s.timeout_seconds)) END
    FROM input i
    WHERE s.step_uuid = i.sid AND s.state = 'in_progress' AND s.lease_token = i.token
      AND (p_namespaces IS NULL OR s.namespace = ANY (p_namespaces))
    RETURNING s.step_uuid AS sid, s.lease_token AS token, s.lease_expires_at AS expires
  )
  SELECT i.sid,
         CASE WHEN e.sid IS NOT NULL THEN 'valid' WHEN a.outcome = 'cancelled' THEN 'cancelled' ELSE 'lost' END,
         e.expires
  FROM input i
  -- Join on the token too: a stale entry listed beside the live one for the same step must read `lost`.
  LEFT JOIN ext e ON e.sid = i.sid AND e.token = i.token
  LEFT JOIN tasker.step_attempts a ON a.lease_token = i.token AND a.step_uuid = i.sid
    AND (p_namespaces IS NULL OR EXISTS (SELECT 1 FROM tasker.steps s WHERE s.step_uuid = i.sid AND s.namespace = ANY (p_namespaces)))
  ORDER BY i.ord;
END $$;
