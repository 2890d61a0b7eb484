"""The filter bar above a map page: links to the other maps, the filters, and the download link. Kept as a string
(rendered with ``render_template_string``) so the package needs no data files."""

BAR_TEMPLATE = """\
<div class="fieldops-bar">
  <nav>
    <a href="/">fieldops</a>
    {%- for endpoint, label in maps %}
    <a href="{{ url_for('maps.' + endpoint, **area_args) }}"
       {%- if endpoint == page %} class="current"{% endif %}>{{ label }}</a>
    {%- endfor %}
  </nav>
  <form method="get" action="{{ url_for('maps.' + page) }}">
    <select name="province" aria-label="Province"
            onchange="if (this.form.commune) { this.form.commune.value = ''; } this.form.submit()">
      <option value="">All provinces</option>
      {%- for unit in provinces %}
      <option value="{{ unit.code }}"{% if province == unit.code %} selected{% endif %}>{{ unit.name }}</option>
      {%- endfor %}
    </select>
    {%- if communes %}
    <select name="commune" aria-label="Commune">
      <option value="">All communes</option>
      {%- for unit in communes %}
      <option value="{{ unit.code }}"{% if raw.commune == unit.code %} selected{% endif %}>{{ unit.name }}</option>
      {%- endfor %}
    </select>
    {%- endif %}
    <label>From <input type="date" name="since" value="{{ raw.since or '' }}"></label>
    <label>to <input type="date" name="until" value="{{ raw.until or '' }}"></label>
    {%- if page in ('dead_spots', 'communes') %}
    <select name="network" aria-label="Network">
      <option value="">All networks</option>
      {%- for network in networks %}
      <option value="{{ network }}"{% if raw.network == network %} selected{% endif %}>{{ network }}</option>
      {%- endfor %}
    </select>
    {%- endif %}
    {%- if page in ('tickets', 'communes') %}
    <select name="category" aria-label="Category">
      <option value="">All categories</option>
      {%- for category in categories %}
      <option value="{{ category }}"{% if raw.category == category %} selected{% endif %}>{{ category }}</option>
      {%- endfor %}
    </select>
    {%- endif %}
    {%- if page == 'equipment' %}
    <select name="asset_kind" aria-label="Asset kind">
      <option value="">All assets</option>
      {%- for kind in asset_kinds %}
      <option value="{{ kind }}"{% if raw.asset_kind == kind %} selected{% endif %}>
        {{- kind.replace('_', ' ') }}</option>
      {%- endfor %}
    </select>
    {%- endif %}
    {%- if page == 'communes' %}
    <select name="indicator" aria-label="Indicator">
      {%- for name, label in indicators.items() %}
      <option value="{{ name }}"
        {%- if (raw.indicator or 'dead_spot_share') == name %} selected{% endif %}>{{ label }}</option>
      {%- endfor %}
    </select>
    {%- endif %}
    {%- if page == 'dead_spots' %}
    <label><input type="checkbox" name="heat" value="1"
      {%- if raw.heat in ('1', 'true', 'on') %} checked{% endif %}> heat layer</label>
    {%- endif %}
    <button type="submit">Show</button>
  </form>
  <a href="{{ download_url }}" download>Download this map (HTML, works offline)</a>
</div>
"""
