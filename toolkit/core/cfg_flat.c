/* A saved config read as a flat list of settings, path and value as text. */
#include "core/cfg_flat.h"

#include <errno.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg_edit.h"
#include "core/cfg_read.h"
#include "core/cfg_text.h"

int cfg_flat_add(struct cfg_flat *f, const char *path, const char *value)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;
		struct cfg_flat_item *items = realloc(f->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		f->items = items;
		f->cap = cap;
	}
	f->items[f->n].path = strdup(path);
	f->items[f->n].value = strdup(value);
	if (!f->items[f->n].path || !f->items[f->n].value) {
		free(f->items[f->n].path);
		free(f->items[f->n].value);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

static int add_item(struct cfg_flat *f, const char *path, const config_setting_t *s)
{
	char *value = cfg_value_text(s);
	int r = value ? cfg_flat_add(f, path, value) : -ENOMEM;

	free(value);
	return r;
}

static int add_flow(struct cfg_flat *f, const char *name)
{
	char **flows = realloc(f->flows, (f->nflows + 1) * sizeof(*flows));

	if (!flows)
		return -ENOMEM;
	f->flows = flows;
	f->flows[f->nflows] = strdup(name);
	if (!f->flows[f->nflows])
		return -ENOMEM;
	f->nflows++;
	return 0;
}

static bool is_group_list(const config_setting_t *s)
{
	int n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST || n == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (!config_setting_is_group(config_setting_get_elem(s, i)))
			return false;
	return true;
}

static int flatten(struct cfg_flat *f, const config_setting_t *s, const char *path, bool top)
{
	char sub[PATH_TEXT_MAX];
	int n = config_setting_length(s);
	int r;

	if (config_setting_is_group(s)) {
		for (int i = 0; i < n; i++) {
			const config_setting_t *m = config_setting_get_elem(s, i);

			if (snprintf(sub, sizeof(sub), "%s%s%s", path, top ? "" : ".",
				     config_setting_name(m)) >= (int)sizeof(sub))
				return -ENAMETOOLONG;
			r = flatten(f, m, sub, false);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (!is_group_list(s))
		return add_item(f, path, s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *name = NULL;

		if (config_setting_lookup_string(e, "name", &name))
			r = snprintf(sub, sizeof(sub), "%s.%s", path, name);
		else
			r = snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if (r >= (int)sizeof(sub))
			return -ENAMETOOLONG;
		if (name && !strcmp(path, "flows") && (r = add_flow(f, name)) < 0)
			return r;
		r = flatten(f, e, sub, false);
		if (r < 0)
			return r;
	}
	return 0;
}

int cfg_flat_read(const char *path, struct cfg_flat *f, char *err, size_t errlen)
{
	struct cfg_text text = {0};
	struct loader ld = {.path = path, .text = &text, .err = err, .errlen = errlen};
	config_t cfg;
	int r;

	memset(f, 0, sizeof(*f));
	config_init(&cfg);
	r = cfg_text_read(&text, path, err, errlen);
	if (r < 0)
		goto out;
	if (!config_read_string(&cfg, text.text)) {
		struct cfg_origin o = cfg_text_origin(&text, config_error_line(&cfg));

		snprintf(err, errlen, "%s:%d: %s", text.files[o.file], o.line,
			 config_error_text(&cfg));
		r = -EINVAL;
		goto out;
	}
	r = cfg_bind_ints(&ld, config_root_setting(&cfg));
	if (r < 0)
		goto out;
	r = flatten(f, config_root_setting(&cfg), "", true);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
out:
	config_destroy(&cfg);
	cfg_text_free(&text);
	return r;
}

const char *cfg_flat_get(const struct cfg_flat *f, const char *path)
{
	size_t len = strlen(path);

	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->items[i].path, path))
			return f->items[i].value;
	/* A knob written { value = ...; side = ...; } is named without ".value" in a sweep. */
	for (size_t i = 0; i < f->n; i++)
		if (!strncmp(f->items[i].path, path, len) &&
		    !strcmp(f->items[i].path + len, ".value"))
			return f->items[i].value;
	return NULL;
}

void cfg_flat_free(struct cfg_flat *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].path);
		free(f->items[i].value);
	}
	for (size_t i = 0; i < f->nflows; i++)
		free(f->flows[i]);
	free(f->items);
	free(f->flows);
	memset(f, 0, sizeof(*f));
}
