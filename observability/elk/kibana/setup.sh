#!/bin/sh
# Loads the ILM policy and index template into Elasticsearch, then the data view and alert rules
# into Kibana. Safe to run again: existing rules with the same name are left alone.
set -eu
ES=http://elasticsearch:9200
KIBANA=http://kibana:5601
HDR='kbn-xsrf: vitrine-setup'

curl -fsS -X PUT "$ES/_ilm/policy/vitrine-logs" -H 'Content-Type: application/json' --data @/elk/elasticsearch/ilm-policy.json
curl -fsS -X PUT "$ES/_index_template/logs-vitrine" -H 'Content-Type: application/json' --data @/elk/elasticsearch/index-template.json
curl -fsS -X POST "$KIBANA/api/data_views/data_view" -H "$HDR" -H 'Content-Type: application/json' --data @/elk/kibana/data-view.json

existing=$(curl -fsS "$KIBANA/api/alerting/rules/_find?per_page=100&search_fields=tags&search=vitrine" -H "$HDR")
for rule in /elk/kibana/alert-*.json; do
  name=$(sed -n 's/.*"name": "\([^"]*\)".*/\1/p' "$rule" | head -n 1)
  case "$existing" in
    *"\"name\":\"$name\""*) echo "rule exists: $name" ;;
    *) curl -fsS -X POST "$KIBANA/api/alerting/rule" -H "$HDR" -H 'Content-Type: application/json' --data @"$rule" && echo "rule created: $name" ;;
  esac
done
