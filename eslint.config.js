// Lint: typescript-eslint's type-aware recommended rules; `npm run lint` fails on any warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'test-artifacts/', 'src/cpu/wasm/assembly/'] }, // AssemblyScript: built by asc
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off', // typed-array indexing under noUncheckedIndexedAccess
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
