{#- Marts live in the schema their folder names (`marts`), not dbt's `<target>_<custom>`. -#}
{%- macro generate_schema_name(custom_schema_name, node) -%}
  {{- (custom_schema_name or target.schema) | trim -}}
{%- endmacro -%}
