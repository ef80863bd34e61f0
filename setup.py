"""Packaging for mixlearn, nbdev 2 style: every setting is read from settings.ini (edit there, not here)."""
import shlex
from configparser import ConfigParser

import setuptools

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + 'lib_name user branch license status min_python audience language'.split()
for o in expected: assert o in cfg, f'missing expected setting: {o}'
setup_cfg = {o: cfg[o] for o in cfg_keys}

# settings.ini name -> (SPDX licence expression, legacy trove classifier)
licenses = {
    'apache2': ('Apache-2.0', 'License :: OSI Approved :: Apache Software License'),
    'mit': ('MIT', 'License :: OSI Approved :: MIT License'),
    'bsd3': ('BSD-3-Clause', 'License :: OSI Approved :: BSD License'),
}
statuses = ['0 - Pre-Planning', '1 - Planning', '2 - Pre-Alpha', '3 - Alpha',
            '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.9 3.10 3.11 3.12 3.13 3.14'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
# optional extras: settings.ini's `<name>_requirements` keys (e.g. dask_requirements -> `pip install mixlearn[dask]`)
extras = {}
for key in cfg:
    if key.endswith('_requirements') and key not in ('dev_requirements', 'pip_requirements', 'conda_requirements'):
        extras[key[:-len('_requirements')]] = shlex.split(cfg[key])
# the dev extras hold everything the course needs, plus the tools that test and build it
extras['dev'] = extras.get('course', []) + dev_requirements
min_python = cfg['min_python']
spdx, lic_classifier = licenses.get(cfg['license'].lower(), (cfg['license'], None))

# setuptools >= 77 takes an SPDX expression and rejects licence classifiers next to it;
# older setuptools only knows the free-text `license` field plus the classifier.
setuptools_version = tuple(int(p) for p in setuptools.__version__.split('.')[:2] if p.isdigit())
if setuptools_version >= (77, 0):
    license_kw = dict(license_expression=spdx, license_files=['LICENSE'])
    lic_classifiers = []
else:
    license_kw = dict(license=spdx)
    lic_classifiers = [lic_classifier] if lic_classifier else []

# mixlearn/data holds the bundled datasets (no Python files, so no __init__.py): list it as a
# package of its own so its CSV files and README.md (sources and licences) ship in the wheel.
lib_path = cfg.get('lib_path', cfg['lib_name'])
data_package = lib_path + '.data'
packages = setuptools.find_packages(include=[lib_path, lib_path + '.*'])
if data_package not in packages: packages.append(data_package)

project_urls = {'Source': cfg['git_url']}
if cfg.get('doc_host'): project_urls['Documentation'] = cfg['doc_host'] + cfg.get('doc_baseurl', '')

setuptools.setup(
    name=cfg['lib_name'],
    classifiers=[
        'Development Status :: ' + statuses[int(cfg['status'])],
        'Intended Audience :: ' + cfg['audience'].title(),
        'Natural Language :: ' + cfg['language'].title(),
    ] + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]]
      + lic_classifiers,
    url=cfg['git_url'],
    packages=packages,
    include_package_data=True,
    package_data={data_package: ['*.csv', 'README.md']},
    install_requires=requirements,
    extras_require=extras,
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': cfg.get('console_scripts', '').split(),
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d'],
    },
    project_urls=project_urls,
    **license_kw,
    **setup_cfg)
